"""Widgets on a static page: the state nbclient saved, drawn as plain outputs.

A live ipywidgets page needs the widget manager's JavaScript (from a CDN, or a bundled copy) and,
for every explorer of this course, a kernel: the sliders call Python to redraw. Embedded state
would show sliders that move and change nothing. The course therefore shows each widget as it
was when the notebook ran: its controls as a list of ``description: value`` (disabled), its
``Output`` widgets' outputs (figures, audio players, text) as ordinary outputs of the cell, and
a note that the notebook in JupyterLab makes it live. ``nbconvert`` has no such rendering (it
only embeds the state for the CDN manager), so this small walk over the state is ours.

The state is the one at the *end* of the run (nbclient saves one per widget, not one per
display): a widget displayed twice shows its last values twice.

Notebook: 00_index
"""

from __future__ import annotations

import copy
import html
from typing import Any

__all__ = ["STATE_MIME", "VIEW_MIME", "snapshot_widgets"]

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
NOTE = ("Interactive widget, as it was when this page was built; run the notebook in JupyterLab "
        "to move its controls.")

_Item = tuple[str, Any]  # ("ctl", html) or ("out", an nbformat output)


def snapshot_widgets(nb: Any) -> int:
    """Replace every widget view of ``nb`` (in place) by its static snapshot.

    Each ``application/vnd.jupyter.widget-view+json`` output becomes a ``text/html`` output
    (class ``course-widget``) listing the controls and their values, followed by the outputs its
    ``Output`` widgets held. The saved widget state is then dropped from the metadata (the page
    needs no script to read it).

    Returns
    -------
    int
        How many widget views were replaced.

    Notebook: 00_index
    """
    widgets = nb.get("metadata", {}).get("widgets", {})
    state = widgets.get(STATE_MIME, {}).get("state", {})
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if VIEW_MIME in out.get("data", {}):
                outputs.extend(_outputs(_model_id(out["data"][VIEW_MIME]), state, set()))
                count += 1
            else:
                outputs.append(out)
        cell["outputs"] = outputs
    nb.get("metadata", {}).pop("widgets", None)
    return count


def _model_id(view: Any) -> str:
    return str(view.get("model_id", "")) if isinstance(view, dict) else ""


def _outputs(model_id: str, state: dict, seen: set[str]) -> list[dict]:
    """Outputs for one top-level widget: controls grouped into html outputs, Output contents."""
    result: list[dict] = []
    controls: list[str] = []
    for kind, value in _walk(model_id, state, seen):
        if kind == "ctl":
            controls.append(value)
            continue
        if controls:
            result.append(_html_output(controls))
            controls = []
        result.append(value)
    if controls or not result:
        result.append(_html_output(controls))
    return result


def _html_output(parts: list[str]) -> dict:
    body = "".join(parts)
    text = (f'<div class="course-widget"><p class="course-widget-note">{html.escape(NOTE)}</p>'
            f"{body}</div>")
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": text, "text/plain": "[widget snapshot]"}}


def _walk(model_id: str, state: dict, seen: set[str]) -> list[_Item]:
    """The widget tree under ``model_id`` as a flat list of controls and outputs."""
    model = state.get(model_id)
    if model_id in seen:
        return []
    if model is None:
        return [("ctl", ('<p class="course-widget-missing">(this widget was not saved with '
                         "the notebook)</p>"))]
    seen.add(model_id)
    name = str(model.get("model_name", ""))
    s = model.get("state", {})
    if name == "OutputModel":
        items: list[_Item] = []
        for out in s.get("outputs", []):
            data = out.get("data", {})
            if VIEW_MIME in data:
                items.extend(_walk(_model_id(data[VIEW_MIME]), state, seen))
            else:
                items.append(("out", copy.deepcopy(out)))
        return items
    if isinstance(s.get("children"), list):
        return _container(name, s, state, seen)
    return [("ctl", _control(name, model, s))]


def _container(name: str, s: dict, state: dict, seen: set[str]) -> list[_Item]:
    """A Box/HBox/VBox/Tab/Accordion: its children, an HBox's controls side by side."""
    titles = s.get("titles") or s.get("_titles") or []
    if isinstance(titles, dict):  # ipywidgets 7 stored {"0": "title"}
        titles = [titles.get(str(i), "") for i in range(len(s["children"]))]
    items: list[_Item] = []
    for i, ref in enumerate(s["children"]):
        if i < len(titles) and titles[i]:
            title = html.escape(str(titles[i]))
            items.append(("ctl", f'<p class="course-widget-title">{title}</p>'))
        items.extend(_walk(str(ref).removeprefix("IPY_MODEL_"), state, seen))
    if name not in ("HBoxModel", "GridBoxModel"):
        return items
    row: list[_Item] = []
    pending: list[str] = []
    for kind, value in items:  # consecutive controls of a row stay on one line
        if kind == "ctl":
            pending.append(value)
            continue
        if pending:
            row.append(("ctl", f'<div class="course-widget-row">{"".join(pending)}</div>'))
            pending = []
        row.append((kind, value))
    if pending:
        row.append(("ctl", f'<div class="course-widget-row">{"".join(pending)}</div>'))
    return row


def _control(name: str, model: dict, s: dict) -> str:
    """One control as disabled-looking HTML: ``description: value``."""
    kind = name.removesuffix("Model")
    label = str(s.get("description") or s.get("tooltip") or "")
    if kind in ("Label",):
        return f'<span class="course-widget-text">{html.escape(str(s.get("value", "")))}</span>'
    if kind in ("HTML", "HTMLMath"):  # the author's own HTML
        return f'<span class="course-widget-text">{s.get("value", "")}</span>'
    if kind == "Button":
        return f'<button class="course-widget-button" disabled>{html.escape(label)}</button>'
    if kind in ("IntProgress", "FloatProgress"):
        value, top = _plain(s.get("value", 0)), _plain(s.get("max", 100))
        bar = f'<progress value="{html.escape(value)}" max="{html.escape(top)}"></progress>'
        return _labelled(label, f"{bar} {html.escape(value)} / {html.escape(top)}")
    if kind in ("Image", "Audio", "Video"):
        return _media(kind, model, s)
    if "_options_labels" in s and "index" in s:
        labels, index = s["_options_labels"], s["index"]
        picked = [labels[i] for i in (index if isinstance(index, list) else [index])
                  if isinstance(i, int) and 0 <= i < len(labels)]
        return _labelled(label or kind, html.escape(", ".join(map(str, picked)) or "(none)"))
    if "value" in s:
        return _labelled(label or kind, html.escape(_value(s["value"], s)))
    # anything else (an anywidget such as the browser Recorder) only works live; name it by its
    # Python class where the state says it, and show the last status message it had
    name = str(s.get("_anywidget_id") or model.get("model_module", "")).rsplit(".", 1)[-1]
    said = s.get("message")
    said = f": {html.escape(said)}" if isinstance(said, str) and said else ""
    return (f'<span class="course-widget-live">{html.escape(label or name or kind)} (a live '
            f"widget: it needs a running kernel and a browser){said}</span>")


def _labelled(label: str, value_html: str) -> str:
    name = f'<span class="course-widget-label">{html.escape(label)}</span> ' if label else ""
    return (f'<span class="course-widget-control">{name}<span class="course-widget-value">'
            f"{value_html}</span></span>")


def _plain(number: Any) -> str:
    """``6.0`` -> ``"6"``, ``0.25`` -> ``"0.25"``; anything else as ``str``."""
    return format(number, "g") if isinstance(number, (int, float)) else str(number)


def _value(value: Any, s: dict) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) for v in value):
        return f"{_number(value[0], s)} – {_number(value[1], s)}"
    if isinstance(value, dict):  # e.g. FileUpload's files: not shown
        return "(needs a running kernel)"
    if isinstance(value, (list, tuple)):
        return "(needs a running kernel)" if not value else ", ".join(map(str, value))
    return _number(value, s)


def _number(value: Any, s: dict) -> str:
    fmt = s.get("readout_format")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and fmt:
        try:
            return format(value, str(fmt))
        except (ValueError, TypeError):
            pass
    return str(value)


def _media(kind: str, model: dict, s: dict) -> str:
    """Image/Audio/Video widgets keep their bytes in the state's buffers (base64)."""
    data = next((b.get("data") for b in model.get("buffers", [])
                 if b.get("path") == ["value"] and b.get("encoding", "base64") == "base64"), None)
    if not data:
        return _labelled(kind, "(no data saved)")
    mime = f"{kind.lower()}/{s.get('format', 'png' if kind == 'Image' else 'wav')}"
    if kind == "Image":
        return f'<img src="data:{html.escape(mime)};base64,{data}" alt="image widget">'
    return f'<{kind.lower()} controls src="data:{html.escape(mime)};base64,{data}"></{kind.lower()}>'
