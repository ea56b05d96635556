"""Test doubles for tests/cluster: a fast topic encoder and a classifier that records what it is shown."""

from __future__ import annotations

import hashlib

import numpy as np

from harness.classify import Classification
from harness.conversations import Conversation

TOPICS = ("python code bug", "novel chapter story", "tax return invoice", "garden soil plants", "wedding speech")


class TopicEmbedder:
    """A fast deterministic encoder for tests: a topic direction (from the first word) plus text-hashed noise."""

    model = "topic-test-encoder"

    def __init__(self, dim: int = 16, noise: float = 0.3):
        self.dim, self.noise = dim, noise

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = text.split()
            topic = words[0] if words else ""
            centre = np.random.default_rng(int(hashlib.sha256(topic.encode()).hexdigest()[:8], 16)).normal(
                size=self.dim)
            noise = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)).normal(
                size=self.dim)
            vector = centre + self.noise * noise
            out[i] = vector / np.linalg.norm(vector)
        return out


class RecordingClassifier:
    """Assigns the base node named by the first word of the first user turn and records what it was shown."""

    spec = "recording:test"

    def __init__(self):
        self.seen: list[Conversation] = []

    def describe(self):
        return {"backend": "recording"}

    def classify(self, conversations):
        self.seen.extend(conversations)
        out = []
        for conv in conversations:
            first = conv.user_messages()[0].content.split()[0] if conv.user_messages() else "none"
            out.append(Classification(conv.id, conv.account_id, True, path=("g", "m", f"task:{first}")))
        return out
