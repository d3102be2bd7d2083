package console

import (
	"cmp"
	"fmt"
	"slices"
)

// lineageSVG is a lineage graph laid out in four columns, left to right:
// datasets, training runs, model versions, deployments. The template draws
// it as inline SVG, so it needs no script and scales with the page.
type lineageSVG struct {
	Width, Height int
	Columns       []lineageColumn
	Nodes         []svgNode
	Edges         []svgEdge
	Hidden        int // nodes left out to keep the drawing bounded
}

type lineageColumn struct {
	X     int
	Title string
}

type svgNode struct {
	X, Y, W, H int
	Kind       string
	Label      string // clipped to fit the box
	Full       string // the whole label, as a tooltip
}

type svgEdge struct{ Path string }

const (
	nodeW      = 170
	nodeH      = 34
	colGap     = 60
	rowGap     = 18
	topMargin  = 34
	sideMargin = 8
	maxNodes   = 120
	labelChars = 22
)

var lineageKinds = []string{NodeDataset, NodeRun, NodeModel, NodeDeployment}

var columnTitles = map[string]string{NodeDataset: "Datasets", NodeRun: "Runs", NodeModel: "Model versions", NodeDeployment: "Deployments"}

func column(kind string) int {
	if i := slices.Index(lineageKinds, kind); i >= 0 {
		return i
	}
	return 2
}

// layoutLineage places nodes column by column. Within a column, nodes are
// ordered by the mean row of their parents, which keeps most edges short
// and uncrossed for the shallow graphs lineage produces.
func layoutLineage(g Lineage) lineageSVG {
	var out lineageSVG
	nodes := g.Nodes
	if len(nodes) > maxNodes {
		out.Hidden = len(nodes) - maxNodes
		nodes = nodes[:maxNodes]
	}
	cols := make([][]LineageNode, len(lineageKinds))
	for _, n := range nodes {
		i := column(n.Kind)
		cols[i] = append(cols[i], n)
	}
	parents := map[string][]string{}
	for _, e := range g.Edges {
		parents[e.To] = append(parents[e.To], e.From)
	}
	row := map[string]int{}
	for ci, col := range cols {
		if ci > 0 {
			rank := func(n LineageNode) float64 {
				ps, sum, k := parents[n.ID], 0, 0
				for _, p := range ps {
					if r, ok := row[p]; ok {
						sum += r
						k++
					}
				}
				if k == 0 {
					return 1e9
				}
				return float64(sum) / float64(k)
			}
			slices.SortStableFunc(col, func(a, b LineageNode) int { return cmp.Compare(rank(a), rank(b)) })
		}
		for ri, n := range col {
			row[n.ID] = ri
		}
	}
	pos := map[string]svgNode{}
	rows := 0
	for ci, col := range cols {
		x := sideMargin + ci*(nodeW+colGap)
		out.Columns = append(out.Columns, lineageColumn{X: x, Title: columnTitles[lineageKinds[ci]]})
		for ri, n := range col {
			label := n.Label
			if label == "" {
				label = n.ID
			}
			sn := svgNode{X: x, Y: topMargin + ri*(nodeH+rowGap), W: nodeW, H: nodeH, Kind: lineageKinds[ci], Label: clipRunes(label, labelChars), Full: label}
			pos[n.ID] = sn
			out.Nodes = append(out.Nodes, sn)
		}
		rows = max(rows, len(col))
	}
	for _, e := range g.Edges {
		a, ok1 := pos[e.From]
		b, ok2 := pos[e.To]
		if !ok1 || !ok2 {
			continue
		}
		x1, y1 := a.X+a.W, a.Y+a.H/2
		x2, y2 := b.X, b.Y+b.H/2
		mid := (x1 + x2) / 2
		out.Edges = append(out.Edges, svgEdge{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)})
	}
	out.Width = 2*sideMargin + len(lineageKinds)*nodeW + (len(lineageKinds)-1)*colGap
	out.Height = topMargin + max(rows, 1)*(nodeH+rowGap)
	return out
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
