"""Text a reader never sees on an HTML page, found so that it can be left out before extraction.

Hidden text is a classic hiding place for instructions to a model: what a reader never sees must not
reach the index or a prompt. This is not a CSS engine. It reads the `hidden` and `aria-hidden`
attributes, `<font color>`, `style` attributes, and the top-level rules of `<style>` elements whose
selectors are simple (`p`, `.cls`, `#id`, `tag.cls`, `.a.b`, and lists of them); rules inside `@media`
and the like, and selectors with combinators, attributes or pseudo-classes (`.x:hover`) are not read.
Of the declarations that apply to an element, the inline style wins, then the more specific selector,
then the later rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_Declarations = dict[str, str]

_COMMENT = re.compile(r"/\*.*?\*/|<!--|-->", re.DOTALL)
_SIMPLE_SELECTOR = re.compile(r"(?P<tag>[a-z][\w-]*)?(?P<rest>(?:[.#][\w-]+)*)", re.IGNORECASE)
_LENGTH = re.compile(r"(-?\d*\.?\d+)([a-z%]*)")
_NUMBER = re.compile(r"-?\d*\.?\d+%?")
# scale(0), scale(0, 1), scale(1, 0), scaleX(0), scaleY(0): no area left to show text in.
_ZERO_SCALE = re.compile(r"\bscale[xy]?\(\s*(?:0*\.?0+\s*[,)]|[^,)]*,\s*0*\.?0+\s*\))")
# inset(50%) and more takes the whole box away; a circle or ellipse of radius 0 too.
_CLIPPED_AWAY = re.compile(
    r"inset\(\s*(?:[5-9]\d|\d{3,})(?:\.\d+)?%|(?:circle|ellipse)\(\s*0*\.?0+(?:px|%)?\s*[)a]"
)
# A length this far off the page's edge puts the text where no window reaches.
_OFF_SCREEN = {"px": -999.0, "pt": -749.0, "em": -62.0, "rem": -62.0, "%": -100.0, "vw": -100.0, "vh": -100.0}
# Properties a child inherits, and may set again to show its own text.
_INHERITED = ("visibility", "font-size", "color")
_OFF_SCREEN_SIDES = ("left", "top", "right", "bottom", "margin-left", "margin-top")


@dataclass(frozen=True)
class _Selector:
    """One simple selector: a tag name, classes and an id, all optional (at least one given)."""

    tag: str | None
    classes: frozenset[str]
    id: str | None

    @property
    def specificity(self) -> tuple[int, int, int]:
        """CSS specificity: ids, then classes, then tags."""
        return (self.id is not None, len(self.classes), self.tag is not None)

    def matches(self, element: Any) -> bool:
        """Whether `element` has this tag, every one of these classes and this id."""
        return (
            (self.tag is None or element.tag.lower() == self.tag)
            and (self.id is None or element.get("id") == self.id)
            and self.classes <= set((element.get("class") or "").split())
        )


def hidden_elements(tree: Any) -> list[Any]:
    """The elements of `tree` a browser would not show (each with its children), in document order."""
    styles = _Styles(tree)
    return [
        element
        for element in tree.iter()
        if isinstance(element.tag, str)
        and element.tag.lower() not in ("html", "body")
        and (_hidden_by_attribute(element) or styles.hides(element))
    ]


def _hidden_by_attribute(element: Any) -> bool:
    return element.get("hidden") is not None or (element.get("aria-hidden") or "").strip().lower() == "true"


class _Styles:
    """The declarations that apply to each element of one page: its stylesheets' rules, then its style."""

    def __init__(self, tree: Any) -> None:
        self._rules = list(_stylesheet_rules(tree))
        self._by_key: dict[str, list[int]] = {}
        for number, (selector, _) in enumerate(self._rules):
            self._by_key.setdefault(_key(selector), []).append(number)
        self._cache: dict[Any, _Declarations] = {}

    def hides(self, element: Any) -> bool:
        """Whether the element's declarations hide it: its box, or its text unless a descendant shows its
        own text again (a `visibility`, `font-size` or `color` of its own)."""
        declared = self.of(element)
        if _hides_box(declared):
            return True
        return any(
            self._hides_text(element, name) and not self._shown_inside(element, name)
            for name in _INHERITED
            if name in declared
        )

    def _hides_text(self, element: Any, name: str) -> bool:
        """Whether the element's value of the inherited property `name` makes its text unseen."""
        value = self.of(element)[name]
        if name == "visibility":
            return value in ("hidden", "collapse")
        if name == "font-size":
            return _too_small(value)
        kind = _color_kind(value)
        return kind == "transparent" or (kind == "white" and not self._dark_background(element))

    def _shown_inside(self, element: Any, name: str) -> bool:
        """Whether a descendant sets `name` to a value of its own that shows its text (`<div
        style="font-size:0"><span style="font-size:16px">` is a layout idiom, not hiding)."""
        for inner in element.iterdescendants():
            value = self.of(inner).get(name, "inherit") if isinstance(inner.tag, str) else "inherit"
            if value in ("inherit", "unset") or (name == "font-size" and _relative_size(value)):
                continue  # still the hidden value (a share of zero is zero)
            if not self._hides_text(inner, name):
                return True
        return False

    def of(self, element: Any) -> _Declarations:
        """The declarations that apply to `element` (later ones replace earlier ones)."""
        if element not in self._cache:
            declared: _Declarations = {}
            # The presentational attributes of old HTML, which any style overrides.
            if element.tag.lower() == "font" and element.get("color"):
                declared["color"] = element.get("color").strip().lower()
            if element.get("bgcolor"):
                declared["background-color"] = element.get("bgcolor").strip().lower()
            # The more specific selector wins, then the later rule, as in a browser.
            for number in sorted(self._candidates(element), key=lambda n: (self._rules[n][0].specificity, n)):
                selector, declarations = self._rules[number]
                if selector.matches(element):
                    declared.update(declarations)
            declared.update(_declarations(element.get("style") or ""))
            self._cache[element] = declared
        return self._cache[element]

    def _candidates(self, element: Any) -> set[int]:
        keys = ["tag:" + element.tag.lower(), "id:" + (element.get("id") or "")]
        keys += ["class:" + name for name in (element.get("class") or "").split()]
        return {number for key in keys for number in self._by_key.get(key, ())}

    def _dark_background(self, element: Any) -> bool:
        """Whether the nearest background set on the element or an ancestor is not white (the page's
        own background is white); one this module cannot read (`var(--bg)`, a picture) counts as dark, so
        that only text surely white on white is left out."""
        while element is not None:
            declared = self.of(element) if isinstance(element.tag, str) else {}
            if declared.get("background-image", "none") != "none":
                return True  # a picture: no telling, so the text counts as seen
            background = declared.get("background-color") or declared.get("background") or ""
            if background and background not in ("none", "inherit", "initial", "unset"):
                kind = _color_kind(background)
                if kind != "transparent":
                    return kind != "white"
            element = element.getparent()
        return False


def _key(selector: _Selector) -> str:
    """The most telling part of a selector, to look its rules up by: id, else a class, else the tag."""
    if selector.id:
        return "id:" + selector.id
    if selector.classes:
        return "class:" + min(selector.classes)
    return "tag:" + (selector.tag or "")


def _stylesheet_rules(tree: Any) -> Iterator[tuple[_Selector, _Declarations]]:
    """(selector, declarations) of every simple selector in the top-level rules of the page's stylesheets."""
    for style in tree.iter("style"):
        for prelude, body in _top_level_rules(_COMMENT.sub("", style.text or "")):
            declarations = _declarations(body)
            for text in prelude.split(","):
                selector = _simple_selector(text.strip())
                if selector is not None and declarations:
                    yield selector, declarations


def _top_level_rules(css: str) -> Iterator[tuple[str, str]]:
    """(selector list, declarations) of each rule outside at-rules such as `@media`."""
    depth, mark, prelude = 0, 0, ""
    for position, char in enumerate(css):
        if char == "{":
            if depth == 0:
                # An at-statement (`@import …;`) before the rule ends at its semicolon.
                prelude, mark = css[mark:position].rsplit(";", 1)[-1].strip(), position + 1
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                if not prelude.startswith("@"):
                    yield prelude, css[mark:position]
                mark = position + 1


def _simple_selector(text: str) -> _Selector | None:
    match = _SIMPLE_SELECTOR.fullmatch(text)
    if not text or match is None:
        return None
    parts = re.findall(r"[.#][\w-]+", match["rest"])
    ids = [part[1:] for part in parts if part[0] == "#"]
    if len(ids) > 1:
        return None
    tag = match["tag"].lower() if match["tag"] else None
    return _Selector(tag, frozenset(part[1:] for part in parts if part[0] == "."), ids[0] if ids else None)


def _declarations(style: str) -> _Declarations:
    """`property: value` pairs of a style attribute or rule body, lower-cased, `!important` dropped."""
    declared: _Declarations = {}
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        if colon:
            value = re.sub(r"\s*!\s*important\s*$", "", value.strip().lower())
            declared[name.strip().lower()] = value
    return declared


def _hides_box(declared: _Declarations) -> bool:
    """Whether these declarations hide the element's whole box, which nothing inside it can undo."""
    get = declared.get
    return (
        get("display") == "none"
        or _is_zero(get("opacity", ""))
        or _off_screen(declared)
        or bool(_CLIPPED_AWAY.search(get("clip-path", "")))
        or _clipped_to_nothing(get("clip", ""))
        or bool(_ZERO_SCALE.search(get("transform", "")))
        or _collapsed(declared)
    )


def _relative_size(font_size: str) -> bool:
    """A font size relative to the parent's (`1.2em`, `120%`, `larger`)."""
    return font_size.endswith(("%", "er")) or (font_size.endswith("em") and not font_size.endswith("rem"))


def _is_zero(value: str) -> bool:
    match = _LENGTH.fullmatch(value.strip())
    return match is not None and float(match[1]) == 0


def _too_small(font_size: str) -> bool:
    """Text of 1px and less (0 in any unit) cannot be read."""
    match = _LENGTH.fullmatch(font_size.strip())
    if match is None:
        return False
    size, unit = float(match[1]), match[2]
    limit = {"px": 1.0, "pt": 0.75, "em": 0.1, "rem": 0.1, "%": 10.0}.get(unit, 0.0)
    return size <= limit


def _off_screen(declared: _Declarations) -> bool:
    """Placed a thousand pixels or more past the page's edge (`position:absolute;left:-10000px`), or its
    text indented that far."""
    sides = _OFF_SCREEN_SIDES if declared.get("position") in ("absolute", "fixed") else ()
    for side in (*sides, "text-indent"):
        match = _LENGTH.fullmatch(declared.get(side, "").strip())
        if match and match[2] in _OFF_SCREEN and float(match[1]) <= _OFF_SCREEN[match[2]]:
            return True
    return False


def _clipped_to_nothing(clip: str) -> bool:
    """`clip: rect(0, 0, 0, 0)` (or 1px each, the "visually hidden" idiom)."""
    match = re.fullmatch(r"rect\((.*)\)", clip.strip())
    if match is None:
        return False
    sizes = [_LENGTH.fullmatch(part) for part in re.split(r"[\s,]+", match[1].strip())]
    return len(sizes) == 4 and all(size is not None and float(size[1]) <= 1 for size in sizes)


def _collapsed(declared: _Declarations) -> bool:
    """A box of zero width or height whose overflow is hidden."""
    if declared.get("overflow") != "hidden":
        return False
    return any(_is_zero(declared.get(side, "")) for side in ("width", "height", "max-width", "max-height"))


def _color_kind(value: str) -> str | None:
    """ "white", "transparent", or None for any other color (or no color)."""
    value = value.strip()
    if value in ("white", "transparent"):
        return value
    if value.startswith("#"):
        return _hex_color_kind(value[1:])
    match = re.fullmatch(r"(rgba?|hsla?)\((.*)\)", value)
    if match is None:
        return None
    numbers = _NUMBER.findall(match[2])
    if len(numbers) == 4 and _amount(numbers[3]) == 0:
        return "transparent"
    if len(numbers) < 3:
        return None
    if match[1].startswith("rgb"):
        white = all(_amount(n, percent_of=255) >= 255 for n in numbers[:3])
    else:
        white = _amount(numbers[2]) >= 100  # hsl(any hue, any saturation, 100%)
    return "white" if white else None


def _hex_color_kind(digits: str) -> str | None:
    if len(digits) in (3, 4):
        digits = "".join(digit * 2 for digit in digits)
    if len(digits) not in (6, 8) or not re.fullmatch(r"[0-9a-f]+", digits):
        return None
    if digits[6:] == "00":
        return "transparent"
    return "white" if digits[:6] == "ffffff" else None


def _amount(number: str, percent_of: float = 100.0) -> float:
    """A CSS number; a percentage as a share of `percent_of`."""
    if number.endswith("%"):
        return float(number[:-1]) * percent_of / 100
    return float(number)
