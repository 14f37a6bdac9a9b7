# Sourced by test-pack.sh and test-arm.sh: a directory of links to every tool on
# PATH except compilers, assemblers, linkers and make (and, if asked, more names),
# so an install there proves that nothing is compiled.
#
#   no_compiler_path DIR [EXTRA_NAMES_REGEX]    e.g. 'node|nodejs|npm|npx|corepack'
no_compiler_path() {
  local bin="$1" extra="${2:-}" d f n
  mkdir -p "$bin"
  local tools='cc|c\+\+|c89|c99|gcc|g\+\+|cpp|clang|clang\+\+|tcc|ld|ld\..*|gold|as|make|gmake|cmake|ninja'
  [[ -z "$extra" ]] || tools="$tools|$extra"
  IFS=: read -r -a dirs <<<"$PATH"
  for d in "${dirs[@]}"; do
    [[ -d "$d" ]] || continue
    for f in "$d"/*; do
      n="$(basename "$f")"
      [[ -x "$f" && ! -d "$f" && ! -e "$bin/$n" ]] || continue
      # Cross tools too (x86_64-linux-gnu-gcc, aarch64-linux-gnu-ld, ...).
      [[ "$n" =~ ^($tools)(-[0-9.]+)?$ || "$n" =~ -(gcc|g\+\+|cc|c\+\+|cpp|ld|as)(-[0-9.]+)?$ ]] && continue
      ln -s "$f" "$bin/$n"
    done
  done
  for n in cc gcc g++ c++ make; do
    if PATH="$bin" command -v "$n" >/dev/null 2>&1; then echo "$n is still on the test PATH" >&2; return 1; fi
  done
}
