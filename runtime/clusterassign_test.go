package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func members(ids ...string) []memberView {
	var out []memberView
	for _, id := range ids {
		out = append(out, memberView{id: id, plugins: map[string]bool{"p": true}, running: map[string]bool{}})
	}
	return out
}

func units(n int) []unitView {
	var out []unitView
	for i := range n {
		out = append(out, unitView{name: fmt.Sprintf("c%02d", i), class: "p"})
	}
	return out
}

func counts(a assignment) (lo, hi, total int) {
	lo = 1 << 30
	for _, cs := range a {
		lo, hi = min(lo, len(cs)), max(hi, len(cs))
		total += len(cs)
	}
	return
}

func TestBalanceIsBalancedAndSticky(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cur := assignment{}
	ids := []string{"a", "b", "c"}
	us := units(6)
	for round := range 200 {
		switch r.IntN(3) {
		case 0:
			if len(ids) > 1 {
				ids = append(ids[:0:0], ids[1:]...) // oldest leaves
			}
		case 1:
			ids = append(ids, fmt.Sprintf("w%d", round))
		case 2:
			us = units(1 + r.IntN(12))
		}
		next := balance(cur, members(ids...), us)
		lo, hi, total := counts(next)
		if total != len(us) || hi-lo > 1 {
			t.Fatalf("round %d: %d members, %d units: counts %d..%d, total %d", round, len(ids), len(us), lo, hi, total)
		}
		// Sticky: a member that stays keeps min(held, quota) of its units.
		for _, id := range ids {
			kept := 0
			for _, c := range next[id] {
				if cur.owner(c) == id {
					kept++
				}
			}
			held := 0
			for _, c := range cur[id] {
				for _, u := range us {
					if u.name == c {
						held++
					}
				}
			}
			if quota := len(us) / len(ids); kept < min(held, quota) {
				t.Fatalf("round %d: %s kept %d of its %d units (quota %d): not sticky", round, id, kept, held, quota)
			}
		}
		cur = next
	}
}

func TestBalancePrefersWorkersWithThePlugin(t *testing.T) {
	ms := members("a", "b")
	ms[0].plugins = map[string]bool{}
	got := balance(assignment{"a": {"c00"}}, ms, units(1))
	if len(got["b"]) != 1 {
		t.Fatalf("unit on %v, want on b, which has the plugin", got)
	}
	// Nobody has it: placed anyway (and fails there with a reason).
	ms[1].plugins = map[string]bool{}
	if got := balance(assignment{}, ms, units(1)); len(got["a"])+len(got["b"]) != 1 {
		t.Fatalf("unit without a capable worker not placed: %v", got)
	}
}

// A move revokes first and grants only once nobody runs the unit.
func TestNextAssignmentMovesInTwoPhases(t *testing.T) {
	cur := assignment{"a": {"c00", "c01"}}
	ms := members("a", "b")
	ms[0].running = map[string]bool{"c00": true, "c01": true}
	ms[0].gen, ms[1].gen = 1, 1

	step1 := nextAssignment(cur, 1, ms, units(2))
	if len(step1["a"]) != 1 || len(step1["b"]) != 0 {
		t.Fatalf("step 1 = %v, want one unit revoked from a and none granted yet", step1)
	}
	revoked := "c00"
	if step1["a"][0] == "c00" {
		revoked = "c01"
	}
	// a applied generation 2 but still reports the revoked unit running.
	ms[0].gen, ms[1].gen = 2, 2
	if step := nextAssignment(step1, 2, ms, units(2)); len(step["b"]) != 0 {
		t.Fatalf("granted %v while a still runs it", step["b"])
	}
	// b has not applied generation 2 yet.
	delete(ms[0].running, revoked)
	ms[1].gen = 1
	if step := nextAssignment(step1, 2, ms, units(2)); len(step["b"]) != 0 {
		t.Fatalf("granted %v before every worker applied the revocation", step["b"])
	}
	ms[1].gen = 2
	step2 := nextAssignment(step1, 2, ms, units(2))
	if len(step2["b"]) != 1 || step2["b"][0] != revoked {
		t.Fatalf("step 2 = %v, want %s granted to b", step2, revoked)
	}
}

// The units of a worker that is gone are free at once (the caller counts a
// worker gone only after its lease expired).
func TestNextAssignmentFreesUnitsOfGoneWorkers(t *testing.T) {
	cur := assignment{"a": {"c00"}, "b": {"c01"}}
	ms := members("b")
	ms[0].gen, ms[0].running = 3, map[string]bool{"c01": true}
	next := nextAssignment(cur, 3, ms, units(2))
	if len(next["b"]) != 2 {
		t.Fatalf("next = %v, want both units on b", next)
	}
}
