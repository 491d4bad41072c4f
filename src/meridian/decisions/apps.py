from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "meridian.decisions"
    label = "decisions"
    verbose_name = "Decisions"

    def ready(self) -> None:
        # Briefs cannot import decisions (decisions build on briefs), so a brief learns here
        # how to check and name the decision records it links to.
        from meridian.briefs import links
        from meridian.decisions.selectors import record_link_choices, record_link_titles

        links.register(
            "decision",
            noun="decision record",
            titles=record_link_titles,
            recent=record_link_choices,
        )
