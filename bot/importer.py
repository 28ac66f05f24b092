"""Training-data importer that knows the retrieval intent when reading rules.

Rasa 3.6 adds retrieval intents (``faq``) to the domain only after reading
the rules, so rules about ``faq`` warn "intent not part of the domain"; and
listing ``faq`` in the domain instead warns about a duplicated intent when
the responses are merged. Reading the rules with the retrieval intents added
avoids both without hiding any other warning.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers import utils
from rasa.shared.importers.rasa import RasaFileImporter


class ProjectImporter(RasaFileImporter):
    def _domain_with_retrieval_intents(self) -> Domain:
        retrieval = sorted(self.get_nlu_data().retrieval_intents)
        return self.get_domain().merge(Domain.from_dict({"intents": retrieval}))

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        return utils.story_graph_from_paths(
            self._story_files, self._domain_with_retrieval_intents(), exclusion_percentage
        )

    def get_conversation_tests(self) -> StoryGraph:
        return utils.story_graph_from_paths(
            self._conversation_test_files, self._domain_with_retrieval_intents()
        )
