# Makes the real `dagger` CLI (cmd/dagger) build offline. Its TUI deps
# github.com/vito/tuist@v0.0.6 and github.com/vito/tuist/teav1@... are not served
# (replaced by compile-only local stubs), and github.com/vito/midterm is only
# served at v0.2.4 (older: no search API) -> disable log search in idtui.
import sys, os
root = sys.argv[1]
def patch(rel, pairs):
    p = os.path.join(root, rel); s = open(p).read()
    for a, b in pairs:
        if a not in s:
            sys.exit(f"patch failed: {rel}: {a[:60]!r} not found")
        s = s.replace(a, b)
    open(p, 'w').write(s)
patch('dagql/idtui/vterm.go', [
    ('term.vt.SearchClear()\n\t\t\tterm.needsRedraw = true', 'term.needsRedraw = true'),
    ('\tterm.vt.Search(query)\n', ''),
    ('\t\tterm.vt.SearchSetCurrent(-1)\n\t}\n\n\tif term.SearchQuery != query', '\t}\n\n\tif term.SearchQuery != query'),
    ('''	for i, m := range term.vt.SearchMatches {
		if m.Row == row {
			term.vt.SearchSetCurrent(i)
			return
		}
	}''', '\t_ = row'),
    ('\t\tterm.vt.SearchClear()\n\t\tterm.SearchQuery = ""', '\t\tterm.SearchQuery = ""'),
    ('count = term.vt.Search(query)', 'count = 0'),
    ('row, _ = term.vt.SearchSetCurrent(-1)', 'row = -1'),
    ('row, _ = term.vt.SearchSetCurrent(currentIdx)', 'row = -1'),
])
patch('dagql/idtui/search.go', [
    ('range logs.Term().SearchMatchRows()', 'range func(any) []int { return nil }(logs)'),
])
print("cli patches applied")
