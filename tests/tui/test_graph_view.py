"""The graph view (`G`, issue 17): every value and gradient drawn is the step record's (or, for
the nodes between the parameters and the loss, the hand calculation's from the record's
parameters), the tutorial's g(h1(a,b), h2(c,d)) fits 80x24, the cursor moves between nodes and
the view follows time travel."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from gradstep.tui.app import GradstepApp
from gradstep.tui.graph_drawing import GRAD, GRAD_NORM, NORM, cell
from gradstep.tui.screens.dashboard import DashboardScreen
from gradstep.tui.screens.graph_view import GraphView

from .conftest import keys_then_settle, settle
from .test_views import plain


async def press(pilot, *keys):
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def drawn_boxes(text: str) -> Counter:
    """Every box of the drawing read back from its text: ``(title, value line, gradient line)``.

    A box is a rectangle with ``╭`` ``╮`` ``╰`` ``╯`` at its corners, four rows high."""
    rows = text.split("\n")
    boxes = Counter()
    for y, row in enumerate(rows[:-3]):
        for x, ch in enumerate(row):
            if ch != "╭":
                continue
            end = row.find("╮", x)
            if end < 0 or any(c in "├┤┼┬┴╯╰╭" for c in row[x + 1:end]):
                continue
            if rows[y + 3][x:x + 1] != "╰" or rows[y + 3][end:end + 1] != "╯":
                continue
            title = row[x + 1:end].rstrip("─")
            boxes[(title, rows[y + 1][x + 1:end].strip(), rows[y + 2][x + 1:end].strip())] += 1
    return boxes


def canvas_text(view) -> str:
    return plain(view.query_one("#graph-canvas").content, width=1000).rstrip("\n")


def chain_rule_by_hand(record, sig):
    """The boxes of g(h1(a,b), h2(c,d)) = (tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2 at the
    parameters before the record's update, worked out here with ``math``; the parameters'
    gradients and the loss are the record's own."""
    before = {name: float(record.params[name] - record.update[name]) for name in "abcd"}
    a, b, c, d = (before[n] for n in "abcd")
    x1, x2, y = 0.5, -1.0, 1.0
    s1, s2 = a * x1 + b, c * x2 + d
    h1, h2 = math.tanh(s1), math.tanh(s2)
    e = h1 + h2 - y
    de = 2 * e                                   # dL/de, also dL/d(h1 + h2) and dL/dh1, dL/dh2
    ds1, ds2 = de * (1 - h1 ** 2), de * (1 - h2 ** 2)
    assert cell(ds1 * x1, sig) == cell(record.grads["a"][()], sig)  # the hand calculation holds

    def box(title, value, grad=None):
        return (title, cell(value, sig), "" if grad is None else GRAD + cell(grad, sig))

    boxes = [box("x1", x1), box("x2", x2), box("y", y)]
    boxes += [box(n, before[n], record.grads[n][()]) for n in "abcd"]
    boxes += [box("*", a * x1, ds1), box("+", s1, ds1), box("tanh", h1, de),
              box("*", c * x2, ds2), box("+", s2, ds2), box("tanh", h2, de),
              box("+", h1 + h2, de), box("-", e, de), box("L **2", record.loss, 1.0)]
    return Counter(boxes)


# -- the numbers drawn are the record's ------------------------------------------------------
async def test_every_value_and_gradient_drawn_is_the_records_chain_rule_at_80x24():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "space", "space", "space", "G")
        view = app.screen
        assert isinstance(view, GraphView)
        record = view.record
        assert record.step == 3 and view.graph.step == 3
        assert drawn_boxes(canvas_text(view)) == chain_rule_by_hand(record, view.drawing.sig)
        body = view.query_one("#graph-body")
        assert (body.max_scroll_x, body.max_scroll_y) == (0, 0), "the tutorial's graph fits 80x24"


async def test_the_view_follows_the_training_and_time_travel():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "G")
        view = app.screen
        assert view.record is None and view.graph.step == 1 and "before step 1" in plain(
            view.query_one("#graph-head").content)
        await press(pilot, "space", "space")
        assert view.record.step == 2
        assert drawn_boxes(canvas_text(view)) == chain_rule_by_hand(view.record, view.drawing.sig)
        await press(pilot, "b")
        assert view.record.step == 1 and "step 1" in plain(view.query_one("#graph-head").content)
        assert drawn_boxes(canvas_text(view)) == chain_rule_by_hand(view.record, view.drawing.sig)
        await press(pilot, "escape")
        assert isinstance(app.screen, DashboardScreen) and app.screen.session.t == 1


async def test_keys_pressed_before_the_first_drawing_are_harmless():
    """The random-keys test found it: cursor keys reached a view that had not drawn yet."""
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = GraphView(app.screen)
        await app.push_screen(view)
        assert view.drawing is None, "the keys below come before the first drawing"
        view.action_cycle(1)
        view.action_move("right")
        await settle(pilot)
        assert view.drawing is not None
        await press(pilot, "tab")


async def test_a_networks_graph_is_drawn_layer_by_layer_with_the_records_norms():
    app = GradstepApp("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "n", "G")
        view = app.screen
        record = view.record
        sig = view.drawing.sig
        theta, (inputs, Y) = view.session.step_inputs(record.step)
        X = np.asarray(getattr(inputs, "data", inputs))  # the batch's inputs, as the graph takes them
        layout = view.session.layout
        before = {name: theta[layout.slices[k]].reshape(layout.shapes[k]) for k, name in enumerate(layout.names)}
        W1, b1, W2, b2 = (before[n] for n in ("layer1.W", "layer1.b", "layer2.W", "layer2.b"))
        # the forward and backward pass of the scenario's network by hand, in NumPy
        z1 = X @ W1 + b1
        a1 = np.tanh(z1)
        z2 = a1 @ W2 + b2
        d2 = (1 / (1 + np.exp(-z2)) - np.reshape(Y, z2.shape)) / len(X)   # d(mean BCE on logits)/dz2
        d1 = (d2 @ W2.T) * (1 - a1 ** 2)

        def box(title, value, grad=None):
            shape = "×".join(map(str, np.shape(value)))
            return (f"{title} {shape}", NORM + cell(np.linalg.norm(value), sig),
                    "" if grad is None else GRAD_NORM + cell(np.linalg.norm(grad), sig))

        expected = Counter([box("x", X)] + [box(n, before[n], record.grads[n]) for n in before] + [
            box("z1", z1, d1), box("a1 tanh", a1, d2 @ W2.T), box("z2", z2, d2),
            ("L bce_logits", cell(record.loss, sig), GRAD + cell(1.0, sig))])
        assert drawn_boxes(canvas_text(view)) == expected


# -- the cursor ------------------------------------------------------------------------------
async def test_the_cursor_moves_between_nodes_and_highlights_the_chain_rule_path():
    app = GradstepApp("chain-rule")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "space", "G")
        view = app.screen
        title = lambda: view.graph.nodes[view.selected].title  # noqa: E731
        assert title() == "a", "the view opens on the dashboard's parameter"
        path = {view.graph.nodes[k].label for k in view.graph.chain_path(view.selected)}
        assert path == {"a", "a*x1", "a*x1 + b", "tanh(a*x1 + b)", "tanh(a*x1 + b) + tanh(c*x2 + d)",
                        "tanh(a*x1 + b) + tanh(c*x2 + d) - y", "(tanh(a*x1 + b) + tanh(c*x2 + d) - y)**2"}
        await press(pilot, "down")
        assert title() == "x1"
        assert "data: no gradient" in plain(view.query_one("#graph-detail").content)
        await press(pilot, "right")
        assert title() == "*" and view.graph.nodes[view.selected].label == "a*x1"
        await press(pilot, "right", "right", "right", "right", "right", "right")
        assert title() == "L **2"
        detail = plain(view.query_one("#graph-detail").content)
        assert f"= {cell(view.record.loss, 8)}" in detail
        await press(pilot, "tab")
        assert title() == "a", "tab wraps around to the first node"
        await press(pilot, "shift+tab")
        assert title() == "L **2"


BIG = """
name = "big"
description = "a sum of eight squares: a graph taller and wider than 80x24"

[objective]
expression = "(a - 1)**2 + (b - 2)**2 + (c - 3)**2 + (d - 4)**2 + (k - 5)**2 + (f - 6)**2 + (g - 7)**2 + (h - 8)**2"
params = { a = 0.0, b = 0.0, c = 0.0, d = 0.0, k = 0.0, f = 0.0, g = 0.0, h = 0.0 }

[optimizer]
kind = "sgd"
lr = 0.1
"""


def in_sight(view) -> bool:
    body = view.query_one("#graph-body")
    box = view.drawing.layout.boxes[view.selected]
    room = body.scrollable_content_region
    return (body.scroll_x <= box.x and box.x + box.width <= body.scroll_x + room.width
            and body.scroll_y <= box.y and box.y + box.height <= body.scroll_y + room.height)


async def test_a_graph_bigger_than_the_screen_scrolls_to_the_cursor(write_scenario):
    app = GradstepApp(write_scenario("big", text=BIG))
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "G")
        view = app.screen
        body = view.query_one("#graph-body")
        assert body.max_scroll_x > 0 and body.max_scroll_y > 0
        assert view.drawing.sig == 4, "when nothing fits, the numbers keep their digits"
        seen = set()
        for key in ["shift+tab"] + ["left"] * 9 + ["down"] * 15 + ["up"] * 15:
            await press(pilot, key)
            assert in_sight(view), view.graph.nodes[view.selected].label
            seen.add((body.scroll_x, body.scroll_y))
        assert len(seen) > 2, "the view scrolled to follow the cursor"


async def test_in_portuguese_the_view_shows_no_english():
    from gradstep.tui import i18n

    i18n.install("pt")
    try:
        app = GradstepApp("chain-rule")
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "space", "G", "down")
            head = plain(app.screen.query_one("#graph-head").content)
            detail = plain(app.screen.query_one("#graph-detail").content)
            assert head.startswith("grafo da perda — passo 1; ∇ = ∂L/∂nó; em destaque: seus caminhos até L")
            assert "(dado: sem gradiente)" in detail
    finally:
        i18n.install("en")


def test_graph_view_snapshot(snap_compare):
    assert snap_compare(GradstepApp("chain-rule"), terminal_size=(80, 24),
                        run_before=keys_then_settle(["space", "space", "space", "G"]))
