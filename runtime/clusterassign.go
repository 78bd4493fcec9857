package runtime

import (
	"maps"
	"slices"
	"sort"
)

// Assignment maps a worker id to the connectors it runs (sorted).
type assignment map[string][]string

func (a assignment) owner(connector string) string {
	for w, cs := range a {
		if slices.Contains(cs, connector) {
			return w
		}
	}
	return ""
}

func (a assignment) equal(b assignment) bool {
	norm := func(x assignment) map[string][]string {
		m := map[string][]string{}
		for w, cs := range x {
			if len(cs) > 0 {
				m[w] = cs
			}
		}
		return m
	}
	return maps.EqualFunc(norm(a), norm(b), slices.Equal)
}

// memberView is what the leader knows of a live worker.
type memberView struct {
	id      string
	plugins map[string]bool
	running map[string]bool // connectors its last heartbeat reports running
	gen     int64           // the newest generation it applied
}

// unitView is a connector to place, with the plugin it needs.
type unitView struct {
	name  string
	class string
}

// balance returns the target assignment: every unit on a live member that
// has its plugin (on any member when none has it), as few units moved from
// cur as the rest allows (sticky), and unit counts differing by at most one
// among the members that can run them (between all members when every one
// has every plugin). members are in join order.
func balance(cur assignment, members []memberView, units []unitView) assignment {
	out := assignment{}
	if len(members) == 0 {
		return out
	}
	live := map[string]*memberView{}
	for i := range members {
		live[members[i].id] = &members[i]
		out[members[i].id] = nil
	}
	class := map[string]string{}
	for _, u := range units {
		class[u.name] = u.class
	}
	anyHas := func(c string) bool {
		for _, m := range members {
			if m.plugins[c] {
				return true
			}
		}
		return false
	}
	canRun := func(mv *memberView, c string) bool {
		cl, ok := class[c]
		return ok && (mv.plugins[cl] || !anyHas(cl))
	}
	// Quotas: n/m each; the members holding the most units they can keep
	// get the extra ones, so that as few as possible move.
	n, m := len(units), len(members)
	held := func(id string) int {
		k := 0
		for _, c := range cur[id] {
			if canRun(live[id], c) {
				k++
			}
		}
		return k
	}
	order := slices.Clone(members)
	sort.SliceStable(order, func(i, j int) bool { return held(order[i].id) > held(order[j].id) })
	quota := map[string]int{}
	for i, mv := range order {
		quota[mv.id] = n / m
		if i < n%m {
			quota[mv.id]++
		}
	}
	placed := map[string]bool{}
	// Keep what members hold, within quota, where they can run it (or
	// nobody can).
	for _, mv := range members {
		for _, c := range cur[mv.id] {
			if placed[c] || quota[mv.id] == 0 || !canRun(&mv, c) {
				continue
			}
			out[mv.id] = append(out[mv.id], c)
			placed[c] = true
			quota[mv.id]--
		}
	}
	// Place the rest, each on the least loaded member that has its plugin
	// (any member when none has it), then join order.
	for _, u := range units {
		if placed[u.name] {
			continue
		}
		capable := anyHas(u.class)
		best := ""
		for _, mv := range members {
			if capable && !mv.plugins[u.class] {
				continue
			}
			if best == "" || len(out[mv.id]) < len(out[best]) {
				best = mv.id
			}
		}
		out[best] = append(out[best], u.name)
		placed[u.name] = true
	}
	for id := range out {
		sort.Strings(out[id])
	}
	return out
}

// nextAssignment is the leader's next step from cur towards the balanced
// target, in two phases so that a connector never runs on two workers at
// once: a move first revokes the connector from its old worker; only once
// no live worker runs it (every live worker applied generation gen, and
// none reports it running) is it granted to the new one. Connectors of
// workers that are not live (left, or their lease expired) are free.
func nextAssignment(cur assignment, gen int64, members []memberView, units []unitView) assignment {
	target := balance(cur, members, units)
	settled := true
	for _, mv := range members {
		if mv.gen < gen {
			settled = false
		}
	}
	running := map[string]bool{}
	held := map[string]string{}
	for _, mv := range members {
		for c := range mv.running {
			running[c] = true
		}
		for _, c := range cur[mv.id] {
			held[c] = mv.id
		}
	}
	next := assignment{}
	for _, mv := range members {
		var keep []string
		for _, c := range target[mv.id] {
			switch owner := held[c]; {
			case owner == mv.id:
				keep = append(keep, c)
			case owner == "" && settled && !running[c]:
				keep = append(keep, c) // free: grant it
			}
		}
		next[mv.id] = keep
	}
	return next
}
