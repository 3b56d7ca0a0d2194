"""HTML from Jinja2 templates with autoescaping on: text from articles and models is escaped by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2


def template_environment(package: str) -> jinja2.Environment:
    """Templates from `<package>/templates`, every `{{ value }}` HTML-escaped unless marked safe."""
    import jinja2
    from markupsafe import Markup, escape

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def line_breaks(text: object) -> Markup:
        """Escaped text with its line breaks kept as <br>."""
        return Markup("<br>").join(escape(str(text)).split("\n"))

    environment.filters["line_breaks"] = line_breaks
    return environment
