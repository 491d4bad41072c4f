"""``{% panels "brief.detail" brief.pk %}``: what other areas put on this page (registry.PANELS)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from meridian.core import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, point: str, object_id: int) -> SafeString:
    """Render every panel registered for ``point`` about the object, inside the page's context."""
    viewer = context.get("membership")
    engine = (
        context.template.engine if context.template is not None else template.Engine.get_default()
    )
    parts: list[str] = []
    for panel in registry.panels(point):
        extra = panel.context(viewer, object_id) if panel.context is not None else {}
        if extra is None:
            continue
        with context.push(extra):
            parts.append(engine.get_template(panel.template).render(context))
    return mark_safe("".join(parts))  # noqa: S308 - rendered by Django templates, escaped there
