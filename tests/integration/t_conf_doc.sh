#!/bin/bash
# t_conf_doc.sh -- the settings table and the man page agree: every row of
# the table (conf_settings_foreach, printed by list_settings) is an entry of
# the page it names, at its level, and every entry of that page is a row.
# An entry is an ".It Ic KEYWORD ..." line (each Ic on the line counts); its
# level is "top" in a list of the first depth, or else the keyword of the
# entry whose nested list holds it ("zone", "key"). Each check first proves
# on a planted mismatch that it can fail.
. "$(dirname "$0")/lib.sh"

LIST=$BUILDDIR/tests/integration/list_settings
[ -x "$LIST" ] || hard_error "no $LIST (make check builds it)"

# man_entries PAGE: sorted "LEVEL KEYWORD" lines, one per Ic of each .It.
man_entries() {
	awk '
	/^\.Sh / { depth = 0; next }
	/^\.Bl / { depth++; next }
	/^\.El/ { if (depth > 0) depth--; next }
	/^\.It / {
		n = 0
		for (i = 2; i < NF; i++)
			if ($i == "Ic")
				names[++n] = $(i + 1)
		parent[depth] = n > 0 ? names[1] : "-"
		if (n == 0)
			next
		level = depth <= 1 ? "top" : parent[depth - 1]
		for (i = 1; i <= n; i++)
			print level, names[i]
	}' "$1" | LC_ALL=C sort -u
}

# table_rows MAN LIST_OUTPUT: sorted "LEVEL KEYWORD" of the rows naming MAN.
table_rows() {
	awk -v man="$1" '$3 == man { print $1, $2 }' "$2" | LC_ALL=C sort -u
}

# doc_diff ROWS ENTRIES: what one file of "LEVEL KEYWORD" lines has and
# the other lacks.
doc_diff() {
	LC_ALL=C comm -23 "$1" "$2" | sed 's/^/undocumented setting: /'
	LC_ALL=C comm -13 "$1" "$2" | sed 's/^/entry unknown to the parser: /'
}

# page_file NAME(SECTION): the source of a page in man/.
page_file() {
	local p=$1
	echo "$SRCDIR/man/${p%(*}.$(sed 's/.*(\(.*\))$/\1/' <<<"$p")"
}

"$LIST" >"$WORK/table" || hard_error "list_settings failed"
PAGE=$SRCDIR/man/dnsd.conf.5
[ -f "$PAGE" ] || hard_error "no $PAGE"
table_rows 'dnsd.conf(5)' "$WORK/table" >"$WORK/rows"
man_entries "$PAGE" >"$WORK/entries"

# ---- the extraction works ----------------------------------------------------
note "the table and the page are read"
[ "$(grep -c . "$WORK/rows")" -ge 30 ] || hard_error "only $(grep -c . "$WORK/rows") rows: $(cat "$WORK/table")"
[ "$(grep -c . "$WORK/entries")" -ge 30 ] || hard_error "only $(grep -c . "$WORK/entries") entries in $PAGE"
for want in "top workers" "top zone" "zone journal-size" "key max-records" "key max-lease" "zone max-lease"; do
	grep -qx "$want" "$WORK/rows" || hard_error "no row '$want' in the table"
	grep -qx "$want" "$WORK/entries" || hard_error "no entry '$want' read from $PAGE"
done
ok "$(grep -c . "$WORK/rows") rows, $(grep -c . "$WORK/entries") entries, levels top, zone and key"

# ---- the check catches planted mismatches -----------------------------------
# Against the page's own entries, so that these hold whatever the tree's
# table says; the real comparison comes last.
note "the check detects mismatches"
# planted_diff SED: the page's entries against those of a copy edited by SED.
planted_diff() {
	sed "$1" "$PAGE" >"$WORK/planted.5"
	man_entries "$WORK/planted.5" >"$WORK/planted"
	doc_diff "$WORK/entries" "$WORK/planted"
}

got=$(planted_diff '/^\.It Ic tcp-max-connections /d')
[ "$got" = "undocumented setting: top tcp-max-connections" ] ||
	fail "an entry removed from the page: got '$got'"
ok "flags a setting whose entry is missing"

got=$(planted_diff '0,/^\.It Ic min-lease Ar duration , Ic max-lease/s//.It Ic min-lease Ar duration/')
[ "$got" = "undocumented setting: key max-lease" ] ||
	fail "the second keyword of a key entry removed: got '$got'"
ok "reads every keyword of an entry, and knows key from zone"

got=$(planted_diff '/^\.It Ic workers /i\
.It Ic frobnicate Ar number\
Not a setting.')
[ "$got" = "entry unknown to the parser: top frobnicate" ] ||
	fail "an entry for no setting: got '$got'"
ok "flags an entry the parser does not know"

sed 's/^key max-records$/zone max-records/' "$WORK/entries" | LC_ALL=C sort >"$WORK/moved"
got=$(doc_diff "$WORK/moved" "$WORK/entries" | paste -sd '|')
[ "$got" = "undocumented setting: zone max-records|entry unknown to the parser: key max-records" ] ||
	fail "a row moved to another level: got '$got'"
ok "flags a keyword documented at another level than the table's"

# ---- the table and the pages --------------------------------------------------
note "the settings table and $PAGE"
got=$(doc_diff "$WORK/rows" "$WORK/entries")
if [ -n "$got" ]; then
	not_ok "the table and dnsd.conf(5) disagree:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "every setting has its entry in dnsd.conf(5) and every entry is a setting"
fi

# Rows may name other pages; each must exist and document its rows.
for man in $(awk '{ print $3 }' "$WORK/table" | LC_ALL=C sort -u); do
	[ "$man" = 'dnsd.conf(5)' ] && continue
	f=$(page_file "$man")
	if [ ! -f "$f" ]; then
		not_ok "rows name $man, but there is no $f"
		continue
	fi
	got=$(doc_diff <(table_rows "$man" "$WORK/table") <(man_entries "$f"))
	if [ -n "$got" ]; then
		not_ok "the table and $man disagree:"
		sed 's/^/    | /' <<<"$got" >&2
	else
		ok "the table and $man agree"
	fi
done

done_ok
