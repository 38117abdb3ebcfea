"""Turn Thebe off: Jupyter Book 1 always loads the ``sphinx_thebe`` extension.

Even with ``launch_buttons.thebe: false`` (the default), sphinx-thebe 0.3.1 puts on every
page an inline ``const THEBE_JS_URL = ...`` script, which Jupyter Book 1 emits twice (a
JavaScript ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` on every
page), plus ``sphinx-thebe.js``/``.css`` and a Thebe configuration that names an unrelated
Binder repository. The course does not use Thebe: Thebe 0.8.2 (the version sphinx-thebe
loads, from unpkg) predates ipywidgets 8 and cannot display the course's ipywidgets 8
explorers, and it would fetch its code from a CDN. The Binder and Colab launch
buttons give the live kernel instead.

Jupyter Book's ``_config.yml`` can add Sphinx extensions but not remove one, so this
extension disconnects sphinx-thebe's event handlers and drops its stylesheet. Its
``thebe-button`` directive stays registered (and harmless).
"""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict:
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files = [(name, attrs) for name, attrs in app.registry.css_files
                              if name != "sphinx-thebe.css"]
    return {"parallel_read_safe": True, "parallel_write_safe": True}
