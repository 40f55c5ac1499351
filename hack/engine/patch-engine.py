# Patches applied to github.com/dagger/dagger@v0.21.8 so cmd/engine builds with only
# what the Go module proxy serves: github.com/vito/dang/v2@v2.1.1,
# github.com/vito/tuist@v0.0.6, github.com/vito/tuist/teav1@..., and
# github.com/vito/midterm@v0.2.5-0.20260312180916-3c2add750bea are NOT served.
# The engine reached them only via core/terminal.go (idtui), core/llm_replay.go
# (util/scrub) and core/sdk/dang_sdk.go (dang v2).
import sys, os
root = sys.argv[1]
def patch(rel, pairs):
    p = os.path.join(root, rel); s = open(p).read()
    for a, b in pairs:
        if a not in s:
            sys.exit(f"patch failed: {rel}: {a[:60]!r} not found")
        s = s.replace(a, b)
    open(p, 'w').write(s)
patch('core/terminal.go', [
    ('\t"github.com/dagger/dagger/dagql/idtui"\n', ''),
    ('output := idtui.NewOutput(term.Stderr)', 'output := termenv.NewOutput(term.Stderr, termenv.WithProfile(termenv.ANSI), termenv.WithTTY(true))'),
    ('idtui.DotFilled', '"●"'),
    ('idtui.IconFailure', '"✘"'),
    ('dump := idtui.Dump{Newline: "\\r\\n", Prefix: "    "}', 'dump := struct{ Newline string }{Newline: "\\r\\n"}'),
    ('''	if err := dump.DumpID(output, dumpID); err != nil {
		return nil, nil, fmt.Errorf("failed to serialize service ID: %w", err)
	}''', '''	if dumpID != nil {
		fmt.Fprint(term.Stderr, "    "+dumpID.Display())
	}'''),
])
patch('core/llm_replay.go', [
    ('\t"github.com/dagger/dagger/util/scrub"\n', ''),
    ('scrub.Stabilize(message.Content) != scrub.Stabilize(c.messages[i].Content)', 'message.Content != c.messages[i].Content'),
])
patch('core/sdk/dang_sdk.go', [
    ('\tdangv2 "github.com/dagger/dagger/core/sdk/dang/v2"\n', ''),
    ('''	if engine.CheckVersionCompatibility(
		engine.BaseVersion(engine.NormalizeVersion(src.EngineVersion)),
		engine.MinimumDangV2ModuleVersion,
	) {
		return dangv2.Impl{}
	}
	return dangv1.Impl{}''', '''	// offline patch: github.com/vito/dang/v2 is not served by the module proxy,
	// so Dang v2 modules fall back to the v1 implementation.
	_ = engine.MinimumDangV2ModuleVersion
	return dangv1.Impl{}'''),
])
print("engine patches applied")
