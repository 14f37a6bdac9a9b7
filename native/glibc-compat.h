/*
 * Force-included (gcc -include) into the prebuilt binaries only, by
 * scripts/prebuild.sh; a source build on the user's machine links against
 * that machine's own glibc and does not need it.
 *
 * Why: glibc 2.34 moved pthread_create and pthread_join from libpthread into
 * libc and gave them a new symbol version, GLIBC_2.34. A binary linked on a
 * newer glibc (Debian 12 has 2.36) asks for that version and will not load on
 * Raspberry Pi OS Bullseye (2.31), Ubuntu 20.04 (2.31) or RHEL 8 (2.28). glibc
 * still exports the same functions under their first version (the address is
 * the same), so binding our references to that version costs nothing: on a
 * newer glibc they resolve in libc, on an older one in libpthread, which every
 * Node-API host has loaded (libuv starts threads with it).
 *
 * The first version of each symbol, per architecture (objdump -T libc.so.6):
 * x86-64 GLIBC_2.2.5, aarch64 GLIBC_2.17, 32-bit arm (EABI) GLIBC_2.4.
 * scripts/prebuild.sh checks every shipped binary's highest GLIBC_ version
 * (<= 2.28 on x64, <= 2.31 on arm) and fails the release when a new symbol
 * raises it: add that symbol here, the same way.
 */
#ifndef IOREADY_GLIBC_COMPAT_H
#define IOREADY_GLIBC_COMPAT_H

#if defined(__x86_64__)
#define IOREADY_GLIBC_FIRST "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define IOREADY_GLIBC_FIRST "GLIBC_2.17"
#elif defined(__arm__)
#define IOREADY_GLIBC_FIRST "GLIBC_2.4"
#endif

#ifdef IOREADY_GLIBC_FIRST
__asm__(".symver pthread_create, pthread_create@" IOREADY_GLIBC_FIRST);
__asm__(".symver pthread_join, pthread_join@" IOREADY_GLIBC_FIRST);
#endif

#endif
