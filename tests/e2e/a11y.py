"""Accessibility basics checked in the browser: labelled inputs, visible focus, AA text contrast.

Two ways in:

- ``assert_accessible(page)``: the page as it is now (after a script built it, a dialog opened...).
- ``WATCH_JS``: an init script ``tests.e2e.conftest.new_page`` adds to every browser context, so that
  *every* page a journey loads is checked once it has loaded (and, on a phone, that it does not
  scroll sideways); problems come back as console messages
  starting with ``A11Y_PREFIX``, and the e2e conftest fails the test that loaded such a page.

Focus: ``focus_is_visible(page)`` for the element that has focus now (its outline, or the outline of the
label or option box around a radio or checkbox, at least 3:1 against the background: WCAG 2.4.7 and
1.4.11); ``tab_to(page, ...)`` moves with the Tab key only and checks focus at every stop on the way.
"""
from __future__ import annotations

A11Y_PREFIX = "a11y-problem:"

# Shared JS: colour parsing, WCAG 2.x relative luminance and contrast, the background behind an
# element (the first opaque background up its ancestors, white at the top).
_COLOUR_JS = """
const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const contrast = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
const backgroundOf = el => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const shown = el => !!(el.offsetParent || el.getClientRects().length) && getComputedStyle(el).visibility !== 'hidden';
"""

# Visible inputs, selects and text areas without a non-empty accessible label: a <label>, aria-label,
# or aria-labelledby pointing at elements with text.
_UNLABELLED_JS = """
const unlabelled = () => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type) && shown(el))
  .filter(el => {
    const fromLabels = Array.from(el.labels || []).map(l => l.textContent.trim()).join('');
    const aria = (el.getAttribute('aria-label') || '').trim();
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join('');
    const title = (el.getAttribute('title') || '').trim();
    return !(fromLabels || aria || by || title);
  })
  .map(el => el.outerHTML.slice(0, 120));
"""

# Each visible element with its own text, its colour against its background: 4.5:1, or 3:1 for large
# text (24px, or 18.66px bold). Disabled controls are exempt (WCAG 1.4.3).
_LOW_CONTRAST_JS = """
const lowContrast = () => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!shown(el) || !Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest(':disabled, [aria-hidden="true"]')) continue;
    const s = getComputedStyle(el);
    if (parseFloat(s.opacity) === 0) continue;
    const ratio = contrast(parse(s.color).slice(0, 3), backgroundOf(el));
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return bad;
};
"""

UNLABELLED_INPUTS_JS = "() => {" + _COLOUR_JS + _UNLABELLED_JS + "return unlabelled(); }"
LOW_CONTRAST_JS = "() => {" + _COLOUR_JS + _LOW_CONTRAST_JS + "return lowContrast(); }"

# The focused element's indicator: an outline (or a ring drawn with box-shadow) on it, or on the
# label / option box around it (a radio inside a styled label shows focus with :focus-within), in
# a colour at least 3:1 against the background it is drawn on.
FOCUS_JS = """
() => {""" + _COLOUR_JS + """
  const el = document.activeElement;
  if (!el || el === document.body) return {visible: false, why: 'nothing has focus', what: ''};
  const what = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent || el.value || '').trim().slice(0, 20)}"`;
  const candidates = [el, el.closest('label'), el.closest('.choice, .p-choice')].filter(Boolean);
  for (const c of candidates) {
    const s = getComputedStyle(c);
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) {
      const ratio = contrast(parse(s.outlineColor).slice(0, 3), backgroundOf(c.parentElement || c));
      return {visible: ratio >= 3, why: `outline contrast ${ratio.toFixed(2)}`, what};
    }
    if (s.boxShadow && s.boxShadow !== 'none') return {visible: true, why: 'box-shadow ring', what};
  }
  return {visible: false, why: 'no outline or ring', what};
}
"""

# The init script: check each page once it has loaded (stylesheets applied) and report through the console.
WATCH_JS = """
window.addEventListener('load', () => {""" + _COLOUR_JS + _UNLABELLED_JS + _LOW_CONTRAST_JS + """
  const problems = unlabelled().map(p => 'input without a label: ' + p)
    .concat(lowContrast().slice(0, 10).map(p => 'text below WCAG AA contrast: ' + p));
  const width = document.documentElement.clientWidth;  // a phone: nothing may make the page scroll sideways
  if (width <= 400 && document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways on a ${width}px phone (${document.documentElement.scrollWidth}px wide)`);
  }
  for (const p of problems) console.warn('""" + A11Y_PREFIX + """ ' + location.pathname + ' ' + p);
});
"""


def assert_accessible(page) -> None:
    unlabelled = page.evaluate(UNLABELLED_INPUTS_JS)
    assert not unlabelled, f"inputs without a label on {page.url}: {unlabelled}"
    low = page.evaluate(LOW_CONTRAST_JS)
    assert not low, f"text below WCAG AA contrast on {page.url}: {low[:10]}"


def focus_is_visible(page) -> bool:
    return page.evaluate(FOCUS_JS)["visible"]


def assert_focus_visible(page) -> None:
    state = page.evaluate(FOCUS_JS)
    assert state["visible"], f"focus is not visible on {state['what']} ({state['why']}) at {page.url}"


def active(page, js: str):
    """A property of the focused element, e.g. ``active(page, "el.id")``."""
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {js}; }})()")


def tab_to(page, js_condition: str, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (Shift+Tab) until the focused element ``el`` meets ``js_condition``; focus must be
    visible at every stop on the way."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        assert_focus_visible(page)
        if active(page, js_condition):
            return
    raise AssertionError(f"Tab never reached an element with {js_condition} on {page.url}")
