# Steps with their wall time, for scripts/test.sh (sourced). `step NAME` starts a step
# and ends the one before; on exit, also on a failure under `set -e`, every step's time
# and the total are printed and the exit status is kept, so a slow or failing step shows.
_step_names=()
_step_times=()
_step_current=""
_step_started=$SECONDS
_step_t0=$SECONDS

_step_fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

_step_finish() {
  [ -n "$_step_current" ] || return 0
  local took=$((SECONDS - _step_started))
  _step_names+=("$_step_current")
  _step_times+=("$took")
  printf -- '-- %s: %s\n' "$_step_current" "$(_step_fmt "$took")"
  _step_current=""
}

step() {
  _step_finish
  _step_current="$*"
  _step_started=$SECONDS
  printf '\n== %s\n' "$*"
}

_step_summary() {
  local rc=$? i
  local failed_step="$_step_current"
  _step_finish
  printf '\n== wall time per step\n'
  for ((i = 0; i < ${#_step_names[@]}; i++)); do
    printf '%8s  %s\n' "$(_step_fmt "${_step_times[$i]}")" "${_step_names[$i]}"
  done
  if [ "$rc" -eq 0 ]; then
    printf '%8s  total\n' "$(_step_fmt $((SECONDS - _step_t0)))"
  else
    printf '%8s  total (failed in "%s", exit %d)\n' "$(_step_fmt $((SECONDS - _step_t0)))" \
      "$failed_step" "$rc"
  fi
  exit "$rc"
}
trap _step_summary EXIT
