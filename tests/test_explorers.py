"""Every explorer of the book, declared once in rnngrad.widgets: every control swept over its
range (the others at their defaults) must give a plot, never an exception or a warning."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnngrad import widgets  # noqa: E402

#: Explorers that need no data files (chapter 9's browses the committed sweep: test_widgets_ch9).
SELF_CONTAINED = [name for name in widgets.EXPLORERS if name != "long_range_explorer"]


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_every_control_over_its_range(name):
    spec = widgets.EXPLORERS[name]()
    assert spec.main in spec.controls
    for control_name, control in spec.controls.items():
        values = control.span(4)
        assert values[0] != values[-1] or len(control.options) == 1
        for value in values:
            fig = spec.render(spec.canvas(), **{control_name: value})
            ax = fig.axes[0]
            assert ax.get_xlabel() or ax.get_title(), (name, control_name, value)
            plt.close(fig)


@pytest.mark.parametrize("name", list(widgets.EXPLORERS))
def test_every_text_of_a_redrawn_explorer_lies_inside_the_figure(name):
    """The explorers draw with fixed margins: every legend, title and axis label must still
    fit in the picture, at each end of every control's range, when one figure is redrawn."""
    from pathlib import Path

    csv = Path(__file__).resolve().parents[1] / "book" / "data" / "long_range_results.csv"
    spec = widgets.EXPLORERS[name](*([csv] if name == "long_range_explorer" else []))
    fig = spec.canvas()
    width, height = fig.canvas.get_width_height()
    for control_name, control in spec.controls.items():
        for value in control.span(2):
            spec.png(fig, **{control_name: value})
            renderer = fig.canvas.get_renderer()
            for ax in fig.axes:
                texts = [ax.title, ax.xaxis.label, ax.yaxis.label]
                if ax.get_legend() is not None:
                    texts.append(ax.get_legend())
                for artist in texts:
                    if isinstance(artist, matplotlib.text.Text) and not artist.get_text():
                        continue
                    box = artist.get_window_extent(renderer)
                    inside = (box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1
                              and box.y1 <= height + 1)
                    assert inside, (name, control_name, value, artist, box.bounds, (width, height))


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_live_widget_has_one_control_per_declared_control(name):
    spec = widgets.EXPLORERS[name]()
    box = getattr(widgets, name)()
    controls = box.children[0].children
    assert [c.description for c in controls] == [c.label for c in spec.controls.values()]
    assert [c.value for c in controls] == list(spec.defaults().values())
    plt.close("all")


def test_span_covers_the_range():
    c = widgets.Control("x", 1.0, 0.1, 8.0, 0.1)
    assert c.span(5)[0] == pytest.approx(0.1) and c.span(5)[-1] == pytest.approx(8.0)
    assert widgets.Control("T", 60, 2, 300, 1).span(3) == [2, 151, 300]
    assert widgets.Control("s", 1.0, -1.0, 1.0, 0.1, log=True).span(3) == pytest.approx([0.1, 1, 10])
    assert widgets.Control("v", "a", options=(("A", "a"), ("B", "b"))).span() == ["a", "b"]


def test_website_version_varies_every_control_and_is_deterministic():
    """The kernel-free explorer: one picture per combination of the controls' values (the main
    control over the most), a control on the page for each control varied, one picture shown
    (at the defaults, where the live view starts), file names in frame order."""
    import html as html_lib
    import json
    import math
    import re

    spec = widgets.EXPLORERS["lag_explorer"]()
    grid = spec.website_values()
    assert list(grid) == list(spec.controls)
    assert len(grid["scale"]) > len(grid["T"]) > 1 and grid["activation"] == ["sigmoid", "tanh"]
    assert all(spec.controls[n].value in v for n, v in grid.items())
    frames = list(spec.website_frames(dpi=40))
    assert len(frames) == math.prod(len(v) for v in grid.values())
    assert len(set(frames)) == len(frames), "two settings drew the same picture"
    assert list(spec.website_frames(dpi=40))[:3] == frames[:3]

    page = spec.static_html("f/{}.png", key="t")
    assert page == spec.static_html("f/{}.png", key="t")
    assert len(re.findall(r'<input type="range"', page)) == 2            # scale and T
    assert len(re.findall(r"<select", page)) == 1                        # the activation
    data = json.loads(html_lib.unescape(re.search(r'data-explorer="([^"]*)"', page).group(1)))
    at = data["at"]
    first = sum(s * i for s, i in zip(data["strides"], at))
    assert re.search(rf'<img src="f/{first}.png"', page)
    assert [data["values"][k][i] for k, i in enumerate(at)] == ["1", "sigmoid", "60"]
    assert 'alt="gradient norm vs lag, simple RNN, ‖W_rec‖₂ = 1, activation = sigmoid, ' in page
    plt.close("all")


def test_website_labels_are_rounded_and_options_keep_their_labels():
    log = widgets.Control("s", 1.0, -1.0, 1.3, 0.05, log=True)
    assert [log.text(v) for v in log.span(4)] == ["0.1", "0.584", "3.41", "20"]
    view = widgets.Control("view", "loss", options=(("loss", "loss"), ("‖∂L/∂θ‖", "grad_norm")))
    assert view.text("grad_norm") == "‖∂L/∂θ‖" and view.text("loss") == "loss"


def test_fixed_controls_keep_their_default_on_the_website():
    from pathlib import Path

    csv = Path(__file__).resolve().parents[1] / "book" / "data" / "long_range_results.csv"
    spec = widgets.EXPLORERS["long_range_explorer"](str(csv))
    grid = spec.website_values()
    assert grid["seed"] == [spec.controls["seed"].value]
    assert len(grid["model"]) == len(spec.controls["model"].options) > 1
    page = spec.static_html("f/{}.png")
    assert 'data-control="3"' not in page                    # seed (control 3) is not shown


def test_live_view_displays_with_a_stand_in_for_places_without_a_kernel():
    """The explorer cell's one output: the widget for a kernel, and for JupyterLab before the
    cell runs (or an untrusted notebook) and the website's build, one picture (the default
    setting, the same PNG the live view shows first) with the declaration's name and call."""
    import base64
    import html
    import json
    import re

    view = widgets.lag_explorer(n=8)
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    assert "VBox" not in bundle["text/plain"] and "kernel" in bundle["text/plain"]
    stand_in = bundle["text/html"]
    assert stand_in.count("<img ") == 1 and "hidden" not in stand_in and "<script" not in stand_in
    name = re.search(r'data-rnngrad-explorer="([^"]+)"', stand_in).group(1)
    call = json.loads(html.unescape(re.search(r'data-rnngrad-call="([^"]*)"', stand_in).group(1)))
    assert (name, call) == ("lag_explorer", {"args": [], "kwargs": {"n": 8}})
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', stand_in).group(1))
    spec = widgets.EXPLORERS["lag_explorer"](n=8)
    assert png == spec.png(spec.canvas())
    plt.close("all")


@pytest.mark.parametrize("name", list(widgets.EXPLORERS))
def test_a_redrawn_picture_is_the_picture_of_a_new_canvas(name):
    """Redraws re-use one figure (its axes emptied, not rebuilt): after any other setting,
    each setting must give exactly the pixels a fresh canvas gives."""
    from pathlib import Path

    csv = Path(__file__).resolve().parents[1] / "book" / "data" / "long_range_results.csv"
    spec = widgets.EXPLORERS[name](*([csv] if name == "long_range_explorer" else []))
    reused = spec.canvas()
    for control_name, control in spec.controls.items():
        values = control.span(3)
        for value in values + values[::-1]:
            setting = {control_name: value}
            assert spec.png(reused, **setting) == spec.png(spec.canvas(), **setting), (name, setting)
