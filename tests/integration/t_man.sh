#!/bin/bash
# t_man.sh -- every man page is clean mdoc: `mandoc -T lint -W warning`
# reports nothing (style notes, such as pages of other projects that are
# not installed here, do not count), after showing it reports a planted
# mistake.
. "$(dirname "$0")/lib.sh"

need_tool mandoc
printf '.Dd December 7, 2026\n.Dt X 1\n.Os\n.Sh NAME\n.Nm x\n.Nd x\n.Sh DESCRIPTION\n.Bl -tag\n.El\n.Sh NAME\n' >"$WORK/planted.1"
out=$(mandoc -T lint -W warning "$WORK/planted.1" 2>&1)
[ -n "$out" ] && ok "mandoc -T lint reports a planted mistake" || fail "mandoc -T lint saw nothing wrong in a broken page"
for page in "$SRCDIR"/man/*.[1-8]; do
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then
		ok "$(basename "$page"): clean"
	else
		echo "$out" | sed 's/^/    | /' >&2
		not_ok "$(basename "$page"): mandoc -T lint -W warning complains"
	fi
done
done_ok
