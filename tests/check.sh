# check.sh — the shell twin of check.h, sourced by the CLI test scripts:
#   check 'CONDITION' "what it means"   counts a pass, or prints FAIL: ... and counts a failure
# and each script ends with `echo "NAME: $pass passed, $fail failed"` and `[ $fail -eq 0 ]`.
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
