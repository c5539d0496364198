#!/usr/bin/env bash
# Checks the C++ files of src/, tests/ and bench/ (tracked, or new and not
# ignored) against .clang-format; prints each file clang-format would change
# and exits 1 if there is one. Changes nothing.
#   scripts/lint.sh           list the files that need formatting
#   scripts/lint.sh --diff    also show what would change
#   scripts/lint.sh --fix     format them in place (make format)
# clang-format-14 is used when installed (the version the tree is formatted
# with: other versions format some constructs differently); CLANG_FORMAT
# overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=check
case "${1:-}" in
  "") ;;
  --diff) mode=diff ;;
  --fix) mode=fix ;;
  *) echo "usage: $0 [--diff|--fix]" >&2; exit 2 ;;
esac

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null; then cf=$c; break; fi
  done
fi
[ -n "$cf" ] || { echo "lint: clang-format not found (Debian: apt-get install clang-format-14)" >&2; exit 2; }
case "$("$cf" --version)" in
  *"version 14."*) ;;
  *) echo "lint: warning: $("$cf" --version) is not clang-format 14; results may differ" >&2 ;;
esac

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- src tests bench |
  grep -E '\.(cpp|hpp|cc|h)$' | sort -u)

if [ "$mode" = fix ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -r "$cf" -i --style=file
  echo "lint: $cf applied to ${#files[@]} C++ files"
  exit 0
fi

bad=0
for f in "${files[@]}"; do
  if ! "$cf" --dry-run --Werror --style=file "$f" >/dev/null 2>&1; then
    echo "$f"
    [ "$mode" = diff ] && { "$cf" --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - || true; }
    bad=$((bad + 1))
  fi
done
if [ $bad -ne 0 ]; then
  echo "lint: $bad of ${#files[@]} C++ files need formatting ($cf; \`make format\` applies it)"
  exit 1
fi
echo "lint: ${#files[@]} C++ files formatted ($cf)"
