"""Train, check and publish a model; roll back to the previous one (issue 7).

``pipeline.py`` composes the steps; the console (``backoffice/console/model_views.py``)
and the CLI (``python -m backoffice.publish``) are its two front ends.
"""
