package release

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// MergeError lists every reason [Merge] refused the records. Each problem
// is one of the typed errors of this file (or a record's validation error);
// errors.As finds them through Unwrap.
type MergeError struct {
	// Problems are the reasons, sorted by image.
	Problems []error
}

// Error says how many problems there are and what each is, on one line.
func (e *MergeError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	noun := "problems"
	if len(parts) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("merge stage records: %d %s: %s", len(parts), noun, strings.Join(parts, "; "))
}

// Unwrap returns the problems.
func (e *MergeError) Unwrap() []error { return e.Problems }

// MismatchError is a record that disagrees with the rest of the release
// (commit, version) or with the other records of its image (repository,
// source, a label).
type MismatchError struct {
	// Image is the record's image.
	Image string
	// Field is what disagrees: commit, version, repository, source or
	// "label NAME".
	Field string
	// Got is the record's value; Want is the value of the rest.
	Got, Want string
	// Record is the index of the record in Merge's input.
	Record int
	// Platforms are the record's platforms.
	Platforms []string
}

// Error names the image, the record and both values.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: record #%d (%s) has %s %q but the rest have %q",
		e.Image, e.Record, strings.Join(e.Platforms, ", "), e.Field, e.Got, e.Want)
}

// MissingPlatformError is a platform the catalog wants that no record
// staged.
type MissingPlatformError struct {
	// Image is the image missing platforms.
	Image string
	// Missing are the wanted platforms no record staged.
	Missing []string
	// Staged are the platforms the records did stage.
	Staged []string
}

// Error names the image, what is missing and what was staged.
func (e *MissingPlatformError) Error() string {
	staged := "nothing"
	if len(e.Staged) > 0 {
		staged = strings.Join(e.Staged, ", ")
	}
	return fmt.Sprintf("%s: %s not staged (staged: %s)", e.Image, strings.Join(e.Missing, ", "), staged)
}

// DuplicatePlatformError is a platform that two or more records (or one
// record twice) claim, whether or not their digests agree: one of the stage
// runs built something it should not have.
type DuplicatePlatformError struct {
	// Image is the image.
	Image string
	// Platform is the platform claimed more than once.
	Platform string
	// Digests are the claimed digests, in the order of Records.
	Digests []v1.Hash
	// Records are the indices of the claiming records in Merge's input;
	// nil when one record lists the platform twice.
	Records []int
}

// Error names the image, the platform, every claim and whether the digests
// agree.
func (e *DuplicatePlatformError) Error() string {
	claims := make([]string, len(e.Digests))
	for i, d := range e.Digests {
		if i < len(e.Records) {
			claims[i] = fmt.Sprintf("record #%d %s", e.Records[i], d)
		} else {
			claims[i] = d.String()
		}
	}
	same := "different digests"
	if len(slices.Compact(slices.Clone(e.Digests))) == 1 {
		same = "the same digest"
	}
	who := "records"
	if e.Records == nil {
		who = "entries of one record"
	}
	return fmt.Sprintf("%s: %s is claimed by %d %s (%s; %s)", e.Image, e.Platform, len(e.Digests), who, strings.Join(claims, ", "), same)
}

// UnwantedImageError is a record of an image the release does not publish.
type UnwantedImageError struct {
	// Image is the record's image.
	Image string
	// Record is the index of the record in Merge's input.
	Record int
}

// Error names the image.
func (e *UnwantedImageError) Error() string {
	return fmt.Sprintf("%s: record #%d is of an image this release does not publish", e.Image, e.Record)
}

// UnknownPlatformError is a staged platform the catalog does not list for
// the image.
type UnknownPlatformError struct {
	// Image is the image.
	Image string
	// Platform is the staged platform.
	Platform string
	// Want are the platforms the catalog lists.
	Want []string
	// Record is the index of the record in Merge's input.
	Record int
}

// Error names the image, the platform and the wanted ones.
func (e *UnknownPlatformError) Error() string {
	return fmt.Sprintf("%s: record #%d staged %s, which the image does not ship (it ships %s)", e.Image, e.Record, e.Platform, strings.Join(e.Want, ", "))
}

// Merge joins the records of several stage runs into one record per wanted
// image, sorted by image. want maps each image the release publishes to its
// platforms (the catalog's). Every record must be valid and of the same
// commit and version as the rest; between them, the records of an image
// must stage each wanted platform exactly once and nothing else, and agree
// on repository, source and labels. Merge reports every problem at once in
// a [*MergeError].
//
// The merged record keeps an index digest only when a single record staged
// the image: an index from one run cannot hold another run's platforms.
// Its StagedAt is the latest of its records'.
func Merge(records []Record, want map[string][]string) ([]Record, error) {
	for img, ps := range want {
		for _, p := range ps {
			if _, err := parsePlatform(p); err != nil {
				return nil, fmt.Errorf("merge stage records: wanted platforms of %s: %w", img, err)
			}
		}
	}
	var problems []error
	valid := make([]bool, len(records))
	var commits, versions []string
	for i, r := range records {
		if err := r.Validate(); err != nil {
			var dup *DuplicatePlatformError
			if !errors.As(err, &dup) {
				err = fmt.Errorf("record #%d: %w", i, err)
			}
			problems = append(problems, err)
			continue
		}
		valid[i] = true
		commits = append(commits, r.Commit)
		versions = append(versions, r.Version)
	}
	commit, version := mostCommon(commits), mostCommon(versions)

	byImage := map[string][]int{}
	for i, r := range records {
		if !valid[i] {
			continue
		}
		if r.Commit != commit {
			problems = append(problems, &MismatchError{Image: r.Image, Field: "commit", Got: r.Commit, Want: commit, Record: i, Platforms: r.PlatformNames()})
		}
		if r.Version != version {
			problems = append(problems, &MismatchError{Image: r.Image, Field: "version", Got: r.Version, Want: version, Record: i, Platforms: r.PlatformNames()})
		}
		if _, ok := want[r.Image]; !ok {
			problems = append(problems, &UnwantedImageError{Image: r.Image, Record: i})
			continue
		}
		byImage[r.Image] = append(byImage[r.Image], i)
	}

	var merged []Record
	for _, img := range slices.Sorted(maps.Keys(want)) {
		m, errs := mergeImage(img, want[img], records, byImage[img])
		problems = append(problems, errs...)
		if len(errs) == 0 {
			merged = append(merged, m)
		}
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b error) int { return strings.Compare(problemImage(a), problemImage(b)) })
		return nil, &MergeError{Problems: problems}
	}
	return merged, nil
}

// mergeImage merges the records idx of one image.
func mergeImage(img string, want []string, records []Record, idx []int) (Record, []error) {
	var problems []error
	out := Record{Image: img, Labels: map[string]string{}}
	type claim struct {
		record int
		digest v1.Hash
		smoke  *Smoke
	}
	claims := map[string][]claim{}
	var order []string
	for n, i := range idx {
		r := records[i]
		if n == 0 {
			out.Repository, out.Version, out.Commit, out.Source = r.Repository, r.Version, r.Commit, r.Source
		}
		for _, f := range []struct{ field, got, want string }{
			{"repository", r.Repository, out.Repository},
			{"source", r.Source, out.Source},
		} {
			if f.got != f.want {
				problems = append(problems, &MismatchError{Image: img, Field: f.field, Got: f.got, Want: f.want, Record: i, Platforms: r.PlatformNames()})
			}
		}
		for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
			if v, ok := out.Labels[k]; ok && v != r.Labels[k] {
				problems = append(problems, &MismatchError{Image: img, Field: "label " + k, Got: r.Labels[k], Want: v, Record: i, Platforms: r.PlatformNames()})
				continue
			}
			out.Labels[k] = r.Labels[k]
		}
		if r.StagedAt.After(out.StagedAt) {
			out.StagedAt = r.StagedAt
		}
		for _, p := range r.Platforms {
			w := slices.IndexFunc(want, func(w string) bool { return samePlatform(w, p.Platform) })
			if w < 0 {
				problems = append(problems, &UnknownPlatformError{Image: img, Platform: p.Platform, Want: want, Record: i})
				continue
			}
			key := want[w]
			if _, ok := claims[key]; !ok {
				order = append(order, key)
			}
			claims[key] = append(claims[key], claim{i, p.Digest, p.Smoke})
		}
	}
	for _, key := range order {
		cs := claims[key]
		if len(cs) > 1 {
			e := &DuplicatePlatformError{Image: img, Platform: key}
			for _, c := range cs {
				e.Digests = append(e.Digests, c.digest)
				e.Records = append(e.Records, c.record)
			}
			problems = append(problems, e)
			continue
		}
		out.Platforms = append(out.Platforms, PlatformManifest{Platform: key, Digest: cs[0].digest, Smoke: cs[0].smoke})
	}
	var missing []string
	for _, w := range want {
		if _, ok := claims[w]; !ok {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, &MissingPlatformError{Image: img, Missing: missing, Staged: order})
	}
	slices.SortFunc(out.Platforms, func(a, b PlatformManifest) int { return strings.Compare(a.Platform, b.Platform) })
	if len(idx) == 1 {
		out.Index = records[idx[0]].Index
	}
	if len(out.Labels) == 0 {
		out.Labels = nil
	}
	return out, problems
}

// mostCommon returns the value that occurs most often in s, the first of
// them on a tie, or "" for an empty s.
func mostCommon(s []string) string {
	count := map[string]int{}
	best, bestN := "", 0
	for _, v := range s {
		count[v]++
		if count[v] > bestN {
			best, bestN = v, count[v]
		}
	}
	return best
}

// problemImage is the image a merge problem is about, for sorting.
func problemImage(err error) string {
	var (
		mm  *MismatchError
		mp  *MissingPlatformError
		dp  *DuplicatePlatformError
		ui  *UnwantedImageError
		upl *UnknownPlatformError
	)
	switch {
	case errors.As(err, &mm):
		return mm.Image
	case errors.As(err, &mp):
		return mp.Image
	case errors.As(err, &dp):
		return dp.Image
	case errors.As(err, &ui):
		return ui.Image
	case errors.As(err, &upl):
		return upl.Image
	}
	return ""
}
