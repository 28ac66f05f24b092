"""Content of ``nlu_data/``: answers served live (NLG), validated and edited in place.

- ``variants``: which response variant Rasa would pick (conditions, channel, validity window) and
  its slot interpolation; pure functions.
- ``store``: every response of the topic and domain files in memory, refreshed from file mtimes
  and from content versions published through Redis.
- ``nlg``: Rasa's NLG endpoint (``POST /nlg``) on the internal port.
- ``validate``: the content validator (``scripts/validate_content.py`` and the console).
- ``splice``: a change to one answer written into its topic file, the rest byte-identical.
- ``changes``: saving an edit (validated, audited, published) and four-eyes review.
"""
