"""The graph view's layered layout (:mod:`gradstep.tui.graph_layout`): boxes never overlap, each
edge is one unbroken line from its operand's box to its node's, operands stand left of the nodes
that use them, and a tree is drawn without a crossing."""

from __future__ import annotations

import random

import pytest

from gradstep.tui.graph_layout import layered_layout

# g(h1(a,b), h2(c,d)) as the engine records it: leaves, then each operation with its operands
CHAIN_RULE = {"x1": [], "x2": [], "y": [], "a": [], "b": [], "c": [], "d": [],
              "m1": ["a", "x1"], "s1": ["m1", "b"], "h1": ["s1"], "m2": ["c", "x2"], "s2": ["m2", "d"],
              "h2": ["s2"], "s": ["h1", "h2"], "e": ["s", "y"], "L": ["e"]}


def random_dag(seed: int, n: int = 18) -> dict:
    """A graph flowing into its last node: each node takes one to three earlier ones."""
    rng = random.Random(seed)
    graph = {f"n{k}": [] for k in range(4)}
    for k in range(4, n):
        graph[f"n{k}"] = rng.sample(list(graph), rng.randint(1, min(3, len(graph))))
    used = {i for ins in graph.values() for i in ins}
    graph["root"] = [k for k in graph if k not in used]  # everything reaches the root
    return graph


def lay_out(graph, gap=1, margin=1):
    sizes = {k: (len(k) + 6, 4, 1) for k in graph}
    return layered_layout(list(graph), graph, sizes, list(graph)[-1], gap=gap, margin=margin)


def cells(segments):
    out = set()
    for (x0, y0), (x1, y1) in segments:
        assert x0 == x1 or y0 == y1, "lines are horizontal or vertical"
        for x in range(min(x0, x1), max(x0, x1) + 1):
            for y in range(min(y0, y1), max(y0, y1) + 1):
                out.add((x, y))
    return out


GRAPHS = [CHAIN_RULE] + [random_dag(seed) for seed in range(6)]


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("gap, margin", [(1, 1), (0, 0)])
def test_boxes_do_not_overlap_and_fit_the_drawing(graph, gap, margin):
    layout = lay_out(graph, gap, margin)
    taken = {}
    for key, box in layout.boxes.items():
        assert 0 <= box.x and box.x + box.width <= layout.width and 0 <= box.y and box.y + box.height <= layout.height
        for x in range(box.x, box.x + box.width):
            for y in range(box.y, box.y + box.height):
                assert (x, y) not in taken, f"{key} overlaps {taken.get((x, y))}"
                taken[(x, y)] = key


@pytest.mark.parametrize("graph", GRAPHS)
def test_each_edge_is_one_line_from_its_operands_box_to_its_nodes(graph):
    layout = lay_out(graph)
    for node, operands in graph.items():
        for operand in set(operands):
            src, dst = layout.boxes[operand], layout.boxes[node]
            assert src.layer < dst.layer, "an operand stands left of the node using it"
            line = cells(layout.edges[(operand, node)])
            start = (src.x + src.width - 1, src.y + src.port)  # the operand's right border
            end = (dst.x, dst.y + dst.port)                      # the node's left border
            assert start in line and end in line
            seen, todo = {start}, [start]                        # connected: walk it cell by cell
            while todo:
                x, y = todo.pop()
                for step in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if step in line and step not in seen:
                        seen.add(step)
                        todo.append(step)
            assert seen == line
            for key, box in layout.boxes.items():  # a line touches a box only at its own two ends
                for x, y in line - {start, end}:
                    assert not (box.x <= x < box.x + box.width and box.y <= y < box.y + box.height), key


def test_the_tutorials_tree_has_no_crossing_and_its_leaves_stand_by_their_consumer():
    layout = lay_out(CHAIN_RULE)
    layer = {k: b.layer for k, b in layout.boxes.items()}
    assert layer["a"] == layer["x1"] == 0 and layer["b"] == layer["m1"] == 1
    assert layer["y"] == layer["s"] == 4 and layer["L"] == 6
    rows = {k: layout.boxes[k].y for k in layout.boxes}
    # a tree keeps its branches apart: h1's whole branch above h2's
    assert max(rows[k] for k in ("a", "x1", "b", "m1", "s1", "h1")) < min(rows[k] for k in ("c", "x2", "d", "m2", "s2", "h2"))
    assert [layout.layers[0], layout.layers[1]] == [["a", "x1", "c", "x2"], ["m1", "b", "m2", "d"]]
