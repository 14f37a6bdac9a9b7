#!/usr/bin/env bash
# The release build: every prebuilt binary the package ships, made on one
# x86-64 Debian/Ubuntu machine with Debian's cross compilers, and checked.
# `npm pack` and `npm publish` run it (the prepack script), so a tarball never
# goes out with a missing, stale or unchecked binary.
#
#   prebuilds/linux-x64/node.napi.glibc.node          x86-64, glibc >= 2.28
#   prebuilds/linux-arm64/node.napi.glibc.node        aarch64 (Pi 3/4/5 64-bit, arm64 servers)
#   prebuilds/linux-arm/node.napi.armv7.glibc.node    armv7 hard-float (Pi 2/3/4 32-bit)
#   prebuilds/linux-arm/node.napi.armv6.glibc.node    armv6 hard-float (Pi 1, Pi Zero)
#
# The names carry node-gyp-build's tags: Node-API (any Node >= 20, Bun, Deno),
# glibc (Alpine's musl Node skips them and builds from source), and on 32-bit
# arm the armv tag it matches against process.config.variables.arm_version.
#
# Each binary is checked, and the release stops if one fails:
#  - the right machine, stripped, and linked against nothing but libc (and
#    libgcc_s for armv6): every undefined symbol is Node-API, libuv or versioned;
#  - the highest GLIBC_ symbol version it needs is <= 2.28 on x64, <= 2.31 on
#    arm (native/glibc-compat.h keeps pthread_create at its first version);
#  - 32-bit arm: `readelf -A` says Tag_CPU_arch v7 / v6 and VFP register
#    arguments (hard-float); armv6 also has no Thumb code and no v7-only
#    instruction (Debian's armhf crt files and libgcc.a are Thumb-2 v7, so
#    it links without them: -nostartfiles, and -shared-libgcc for the 64-bit
#    division helpers, which then come from the Pi's own libgcc_s).
#
# Missing cross compilers are installed by scripts/setup-cross.sh (root), or
# it says what to install. Each target builds in its own directory under
# .tmp/prebuild/ (build/Release/ is left alone) and is rebuilt only when its
# inputs change, so a second `npm pack` takes a second or two.
#
#   npm run build:prebuilds
#   bash scripts/prebuild.sh --check TARGET FILE   # only the checks, on any .node file
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec >&2 # progress and summary: stdout stays npm pack's (npm pack --json)
cd "$root"

# target: node-gyp arch | toolchain prefix | directory | file | glibc floor | Tag_CPU_arch | cflags | ldflags
declare -A spec=(
  [x64]="x64|x86_64-linux-gnu-|linux-x64|node.napi.glibc.node|2.28|||"
  [arm64]="arm64|aarch64-linux-gnu-|linux-arm64|node.napi.glibc.node|2.31|||"
  [armv7]="arm|arm-linux-gnueabihf-|linux-arm|node.napi.armv7.glibc.node|2.31|v7|-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard|"
  [armv6]="arm|arm-linux-gnueabihf-|linux-arm|node.napi.armv6.glibc.node|2.31|v6|-marm -march=armv6 -mfpu=vfp -mfloat-abi=hard|-marm -march=armv6 -mfpu=vfp -mfloat-abi=hard -nostartfiles -shared-libgcc"
)
targets=(x64 arm64 armv7 armv6)

load() { IFS='|' read -r arch prefix dir file floor cpu cflags ldflags <<<"${spec[$1]}"; }
fail() { echo "prebuild: $*" >&2; exit 1; }

# The checks on one binary: print its summary line, or fail.
#   check TARGET FILE [UNSTRIPPED]
check() {
  local t="$1" f="$2" full="${3:-}"
  load "$t"
  local objdump="${prefix}objdump" readelf="${prefix}readelf"
  local machine
  machine="$("$readelf" -h "$f" | sed -n 's/^ *Machine: *//p')"
  case "$arch" in
    x64) [[ "$machine" == *X86-64* ]] ;;
    arm64) [[ "$machine" == AArch64 ]] ;;
    arm) [[ "$machine" == ARM ]] ;;
  esac || fail "$t: $f is a '$machine' binary"
  local sections
  sections="$("$readelf" -SW "$f")"
  ! grep -q ' \.symtab ' <<<"$sections" || fail "$t: $f is not stripped"

  local dyn needed
  dyn="$("$objdump" -T "$f")"
  needed="$("$readelf" -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  for lib in $needed; do
    [[ "$lib" =~ ^(libc|libpthread|libdl|libm|librt)\.so\.[0-9]+$ || ("$t" == armv6 && "$lib" == libgcc_s.so.1) ]] ||
      fail "$t: $f needs $lib (only glibc may be linked)"
  done
  # Undefined symbols: Node-API and libuv (from the host process), or versioned (glibc, libgcc_s), or weak.
  local stray
  stray="$(awk '$0 ~ /\*UND\*/ && $2 != "w" && $NF !~ /^(napi|uv)_/ && $(NF-1) !~ /GLIBC_|GCC_/ { print $NF }' <<<"$dyn" | tr '\n' ' ')"
  [[ -z "$stray" ]] || fail "$t: $f has undefined symbols no library will provide: $stray"

  local max
  max="$(grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' <<<"$dyn" | sed 's/GLIBC_//' | sort -uV | tail -1)"
  if [[ "$(printf '%s\n%s\n' "$max" "$floor" | sort -V | tail -1)" != "$floor" ]]; then
    local over
    over="$(awk '/GLIBC_/ { v = $(NF-1); gsub(/[()]|GLIBC_/, "", v); print v, $NF }' <<<"$dyn" | while read -r v s; do
      [[ "$(printf '%s\n%s\n' "$v" "$floor" | sort -V | tail -1)" == "$floor" ]] || printf '%s@GLIBC_%s ' "$s" "$v"
    done)"
    fail "$t: $f needs GLIBC_$max, above the floor $floor: $over(bind them to an older version in native/glibc-compat.h)"
  fi

  local attrs=""
  if [[ -n "$cpu" ]]; then
    attrs="$("$readelf" -A "$f")"
    grep -qE "^ *Tag_CPU_arch: $cpu\$" <<<"$attrs" || fail "$t: $f: readelf -A says $(grep Tag_CPU_arch: <<<"$attrs" | xargs), not $cpu"
    grep -qE '^ *Tag_ABI_VFP_args: VFP registers' <<<"$attrs" || fail "$t: $f is not hard-float (Tag_ABI_VFP_args)"
  fi
  if [[ "$cpu" == v6 && -n "$full" ]]; then
    # The attribute is the linker's merge of its inputs; look at the code too. Mapping
    # symbols ($a ARM, $t Thumb) are in the unstripped copy.
    local symbols
    symbols="$("$readelf" -sW "$full")"
    ! grep -qE ' \$t(\.|$)' <<<"$symbols" || fail "$t: $full contains Thumb code"
    grep -qE '^ *Tag_FP_arch: VFPv2$' <<<"$attrs" && ! grep -q Tag_Advanced_SIMD_arch <<<"$attrs" ||
      fail "$t: $f needs more than VFPv2 (the Pi 1's FPU): $(grep -E 'Tag_FP_arch|Tag_Advanced_SIMD' <<<"$attrs" | xargs)"
    local v7
    v7="$("$objdump" -d --no-show-raw-insn "$full" | awk -F'\t' 'NF >= 2 { split($2, m, /[ .]/); print m[1] }' |
      grep -xE '(movw|movt|dmb|dsb|isb|sdiv|udiv|ubfx|sbfx|bfi|bfc|rbit|mls|cbn?z|it[te]{0,3}|ldrexd|strexd|ldrex[bh]|strex[bh]|clrex|pldw|vfm[as])(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?' |
      sort -u | tr '\n' ' ')" || true
    [[ -z "$v7" ]] || fail "$t: $full uses instructions armv6 lacks: $v7"
  fi
  printf '   %-40s %4s KiB  GLIBC_%-5s %s\n' "$dir/$file" "$(($(stat -c %s "$f") / 1024))" "$max" \
    "${cpu:+Tag_CPU_arch: $(sed -n 's/^ *Tag_CPU_arch: //p' <<<"$attrs"), Tag_FP_arch: $(sed -n 's/^ *Tag_FP_arch: //p' <<<"$attrs")}"
}

if [[ "${1:-}" == --check ]]; then
  [[ $# -ge 3 && -n "${spec[$2]:-}" ]] || fail "usage: prebuild.sh --check ${targets[*]// /|} FILE [UNSTRIPPED]"
  check "$2" "$3" "${4:-}"
  exit 0
fi

[[ "$(uname -m)" == x86_64 ]] || fail "the release build runs on an x86-64 Linux host (this is $(uname -m))"
bash "$root/scripts/setup-cross.sh"

# node-gyp: npm puts its own on PATH for scripts; outside npm, use npm's bundled one.
if [[ -n "${npm_config_node_gyp:-}" ]]; then
  gyp=(node "$npm_config_node_gyp")
elif command -v node-gyp >/dev/null; then
  gyp=(node-gyp)
else
  gyp=(node "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js")
fi
# Node-API headers are the same for every arch: use the running Node's if it has them
# (node-gyp would otherwise download the headers tarball for a cross build).
nodedir=()
for d in "$(dirname "$(dirname "$(node -p process.execPath)")")" "$(node -p 'process.config.variables.node_prefix || ""')"; do
  if [[ -f "$d/include/node/node_api.h" && -f "$d/include/node/common.gypi" ]]; then nodedir=(--nodedir="$d"); break; fi
done
gyp_version="$("${gyp[@]}" --version)"

stage_root="$root/.tmp/prebuild"
mkdir -p "$stage_root"
t0=$SECONDS
for t in "${targets[@]}"; do
  load "$t"
  stage="$stage_root/$t"
  cc="${prefix}gcc"
  # Everything the binary depends on: rebuild only when one of them changes.
  stamp="$( {
    cat binding.gyp native/*.c native/*.h scripts/prebuild.sh
    "$cc" --version | head -1
    echo "$gyp_version ${spec[$t]} ${nodedir[*]} $(node -p process.versions.napi)"
  } | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stage/out.node" && -f "$stage/full.node" && "$(cat "$stage/stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "   $t: up to date"
    continue
  fi
  rm -rf "$stage"
  mkdir -p "$stage/native"
  cp binding.gyp "$stage/"
  cp native/*.c native/*.h "$stage/native/"
  s0=$SECONDS
  if ! (cd "$stage" && CC="$cc" CXX="$cc" LINK="$cc" AR="${prefix}ar" \
    CFLAGS="-include $stage/native/glibc-compat.h $cflags" LDFLAGS="$ldflags" \
    "${gyp[@]}" rebuild --arch="$arch" "${nodedir[@]}" --release -j 2 >"$stage_root/$t.log" 2>&1); then
    tail -40 "$stage_root/$t.log" >&2
    fail "$t: node-gyp failed (log: .tmp/prebuild/$t.log)"
  fi
  cp "$stage/build/Release/ioready.node" "$stage/full.node"
  "${prefix}strip" --strip-all -o "$stage/out.node" "$stage/full.node"
  echo "$stamp" >"$stage/stamp"
  echo "   $t: built in $((SECONDS - s0)) s"
done

# prebuilds/ holds exactly these binaries, every one checked.
rm -rf prebuilds
for t in "${targets[@]}"; do
  load "$t"
  check "$t" "$stage_root/$t/out.node" "$stage_root/$t/full.node"
  mkdir -p "prebuilds/$dir"
  cp "$stage_root/$t/out.node" "prebuilds/$dir/$file"
done
echo "prebuild: ${#targets[@]} binaries checked in $((SECONDS - t0)) s"
