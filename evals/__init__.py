"""inspect-ai evaluation tasks over the goldsets: ``hierarchy``, ``collaboration``, ``screening``, ``skills``.

Run one with ``inspect eval evals/hierarchy.py --model anthropic/<model-id>`` (``-T split=test`` to pick a split);
open the log with ``inspect view``.
"""
