"""N one-byte write+read pairs on a pipe through os.write/os.read (see pairs.ts)."""
import os
import sys

r, w = os.pipe2(os.O_NONBLOCK)
read, write = os.read, os.write
for _ in range(int(sys.argv[1])):
    write(w, b'x')
    read(r, 1)
