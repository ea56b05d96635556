from __future__ import annotations

import numpy as np
import pytest

from harness.classify import EmbeddingClassifier, EmbeddingConfig, get_classifier
from harness.conversations import Conversation, Message, iter_sharegpt


def _ask(cid: str, text: str) -> Conversation:
    return Conversation(cid, "acct", (Message("user", text), Message("assistant", "ok")))


def test_walks_mini_hierarchy(mini_hierarchy, mini_release):
    clf = get_classifier("embedding:minilm", mini_hierarchy, release=mini_release)
    assert isinstance(clf, EmbeddingClassifier) and clf.spec == "embedding:all-MiniLM-L6-v2"
    results_convs = [
        _ask("code", "My Python program crashes, please debug this function for our billing application."),
        _ask("novel", "Help me write the next chapter of my fiction novel about a lighthouse keeper."),
        _ask("files", "How should I file and organise paper correspondence records in the office?"),
    ]
    results = clf.classify(results_convs)
    # The default pools evidence over occupations and broad activities, so on this 12-task toy hierarchy it settles
    # the occupation first: the right occupation for each request, though "debug" may land on a sibling task.
    soc = [mini_hierarchy[r.path[-1]].meta["soc_codes"] for r in results]
    assert "15-1252.00" in soc[0] and soc[1] == ["27-3043.00"] and soc[2][0].startswith("43-")
    for r in results:
        assert mini_hierarchy.path(r.path[-1]) == r.path and r.top_k[0] == r.path[-1] and r.valid
        assert set(r.prompt_hashes) == {"traversal", "screening", "pattern", "skills"}
    assert "Writing" in results[1].skills or not results[1].occupational
    # with pooling off, each request gets its closest statement
    plain = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(occupation_pool_weight=0.0, activity_pool_weight=0.0))
    assert [r.path[-1] for r in plain.classify(results_convs)] == ["task:101", "task:201", "task:301"]


def test_deterministic_and_order_preserving(mini_hierarchy):
    clf = EmbeddingClassifier(mini_hierarchy)
    convs = [_ask(str(i), text) for i, text in enumerate(["review code", "write prose", "file records"])]
    first = clf.classify(convs)
    again = clf.classify(list(reversed(convs)))
    assert [r.conversation_id for r in again] == ["2", "1", "0"]
    assert [r.path for r in first] == [r.path for r in reversed(again)]


def test_hierarchy_embeddings_are_cached(mini_hierarchy, tmp_path):
    from harness.llm import Embedder

    embedder = Embedder(cache_root=tmp_path)
    EmbeddingClassifier(mini_hierarchy, embedder=embedder).prepare()
    files = sorted((tmp_path / "embeddings").rglob("*.npy"))
    assert len(files) == 4  # one matrix per level, one for the base tasks' activities
    matrix = np.load(files[0])
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-5)
    EmbeddingClassifier(mini_hierarchy, embedder=embedder).prepare()
    assert sorted((tmp_path / "embeddings").rglob("*.npy")) == files


def test_domain_cues_move_a_request_to_the_cued_group(mini_hierarchy):
    plain = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(domain_boost=0.0, activity_weight=0.0))
    cued = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(domain_boost=1.0, activity_weight=0.0))
    conv = _ask("x", "Please sort and file these python records")
    assert cued.classify([conv])[0].path[-1] in {"task:101", "task:102"}  # 15-xxxx tasks win under the boost
    assert plain.classify([conv])[0].path[-1] == "task:301"  # filing records, by topic alone


def test_zero_parent_weights_return_the_best_base_task(mini_hierarchy):
    wide = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(beam_top=100, beam_mid=100))
    narrow = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(beam_top=1, beam_mid=1))
    convs = [_ask(str(i), t) for i, t in enumerate(["review code", "write prose", "file records", "plan budgets"])]
    assert [r.path for r in wide.classify(convs)] == [r.path for r in narrow.classify(convs)]


def test_beam_restricts_to_supported_paths(mini_hierarchy):
    narrow = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(beam_top=1, beam_mid=1, top_k=5))
    (result,) = narrow.classify([_ask("x", "write fiction prose")])
    parents = {mini_hierarchy[b].parent for b in result.top_k}
    assert len(parents) == 1  # a beam of one keeps a single mid-level node


def test_config_is_checked():
    with pytest.raises(ValueError, match="unknown embedding model"):
        EmbeddingConfig(model="bert-base")
    with pytest.raises(ValueError, match="parent_weights"):
        EmbeddingConfig(parent_weights=(1.0, -1.0))
    with pytest.raises(ValueError, match="activity_weight"):
        EmbeddingConfig(activity_weight=-0.1)
    for name in ("lexical_weight", "occupation_pool_weight", "activity_pool_weight"):
        with pytest.raises(ValueError, match=name):
            EmbeddingConfig(**{name: -1.0})
    with pytest.raises(ValueError, match="pool_k"):
        EmbeddingConfig(pool_k=0)


def test_real_sharegpt_conversations(mini_hierarchy):
    convs = list(iter_sharegpt(20, english_only=True))
    results = EmbeddingClassifier(mini_hierarchy).classify(convs)
    assert len(results) == 20 and all(r.valid and len(r.path) == 3 for r in results)
    assert {r.conversation_id for r in results} == {c.id for c in convs}


def test_usage_prior_is_off_by_default_and_announced_when_on(wa_hierarchy, onet_release, data_dir):
    default = get_classifier("embedding:minilm", wa_hierarchy, release=onet_release)
    assert default.spec == "embedding:all-MiniLM-L6-v2" and default.describe()["prior"].startswith("none")
    with_prior = get_classifier("embedding:minilm", wa_hierarchy, release=onet_release,
                                prior="economic-index:2025_03_27:v2", data_dir=data_dir)
    assert with_prior.spec == "embedding:all-MiniLM-L6-v2+prior:economic-index-2025_03_27-v2"
    assert "pulls estimates toward released shares" in with_prior.describe()["prior"]
    assert with_prior.config.prior_weight == 0.2
    assert len(with_prior.prior) > 3000  # released shares joined to 29.3 statements by their text
    # the same prior written into the spec, and the spec a manifest recorded, build the same classifier
    for spec in ("embedding:minilm+prior:economic-index:2025_03_27", with_prior.spec):
        again = get_classifier(spec, wa_hierarchy, release=onet_release, data_dir=data_dir)
        assert again.spec == with_prior.spec and again.describe() == with_prior.describe()
    with pytest.raises(ValueError, match="needs a prior"):
        EmbeddingClassifier(wa_hierarchy, EmbeddingConfig(prior_weight=0.1))
    with pytest.raises(ValueError, match="unknown prior"):
        get_classifier("embedding:minilm", wa_hierarchy, prior="bls:2023")


def test_prior_flag_is_refused_for_llm_backends(data_dir, capsys):
    from harness.cli import main

    code = main(["--data-dir", str(data_dir), "classify", "--input", "x.jsonl", "--out", "/tmp/never",
                 "--backend", "anthropic:claude-haiku-4-5", "--prior", "economic-index:2025_03_27"])
    err = capsys.readouterr().err
    assert code == 2 and "--prior does not apply to the anthropic backend, only to: embedding" in err
    assert len(err.strip().splitlines()) == 1


def _with_reply(cid: str, text: str, reply: str) -> Conversation:
    return Conversation(cid, "acct", (Message("user", text), Message("assistant", reply)))


def test_code_in_a_reply_cues_the_computer_occupations(mini_hierarchy):
    # the user names only the domain (paper records); the reply is a program
    request = "I need something that keeps our office correspondence records sorted and filed."
    reply = "Here is a script:\n```python\nrecords.sort(key=date)\n```"
    on = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(domain_boost=1.0))
    off = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(domain_boost=1.0, reply_code_cue=False))
    assert on._cues(_with_reply("c", request, reply)) == {"15"}
    assert off._cues(_with_reply("c", request, reply)) == frozenset()
    assert on._cues(_with_reply("c", request, "Sort them by date.")) == frozenset()
    coded = on.classify([_with_reply("c", request, reply)])[0]
    plain = off.classify([_with_reply("c", request, reply)])[0]
    assert mini_hierarchy[coded.path[-1]].meta["soc_codes"][0].startswith("15")
    assert not mini_hierarchy[plain.path[-1]].meta["soc_codes"][0].startswith("15")


def test_each_added_signal_changes_scores_only_through_its_weight(mini_hierarchy):
    """With every new weight at zero the scores are the plain embedding scores; each weight alone moves them."""
    convs = [_ask("a", "Please debug my Python function"), _ask("b", "Draft a chapter of my novel")]
    off = dict(reply_code_cue=False, lexical_weight=0.0, occupation_pool_weight=0.0, activity_pool_weight=0.0)
    plain = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(**off))
    plain.prepare()
    reference = plain._base_scores(plain._queries(convs), [plain._cues(c) for c in convs])[0]
    np.testing.assert_allclose(plain._scores(convs).base, reference)
    for name in ("lexical_weight", "occupation_pool_weight", "activity_pool_weight"):
        one = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(**{**off, name: 1.0}))
        one.prepare()
        assert not np.allclose(one._scores(convs).base, reference), name


def test_defaults_announce_the_method_and_its_settings(mini_hierarchy):
    described = EmbeddingClassifier(mini_hierarchy).describe()
    assert described["method"] == "embedding-beam/3"
    config = described["config"]
    assert config["reply_code_cue"] is True and config["lexical_weight"] > 0 and config["pool_k"] >= 1


def test_screening_model_applies_only_to_the_configuration_it_was_fitted_for(wa_hierarchy, mini_hierarchy):
    shipped = EmbeddingClassifier(wa_hierarchy)
    assert shipped.screening is not None and "logistic model" in shipped.describe()["screening"]
    assert shipped._hashes()["screening"] != shipped._hashes()["traversal"]
    for other in (EmbeddingClassifier(wa_hierarchy, EmbeddingConfig(lexical_weight=0.3)),
                  EmbeddingClassifier(mini_hierarchy)):
        assert other.screening is None and other.describe()["screening"].startswith("rule")
        assert other._hashes()["screening"] == other._hashes()["traversal"]


# ------------------------------------------------------------------------------------------------ runtime


def test_the_runtime_is_part_of_the_configuration():
    from harness.classify import shipped_calibration
    from harness.llm import RUNTIMES

    digests = {runtime: EmbeddingConfig(runtime=runtime).digest() for runtime in RUNTIMES}
    assert len(set(digests.values())) == len(RUNTIMES)  # each runtime's vectors differ, so each is its own config
    # the field came after the torch fits: torch's digest is still the one its shipped map was fitted for
    torch_map = shipped_calibration(EmbeddingConfig(runtime="torch").shipped_name)
    assert torch_map is not None and torch_map.config_digest == digests["torch"]
    assert {EmbeddingConfig(runtime=r).shipped_name for r in RUNTIMES} == {
        f"embedding-all-MiniLM-L6-v2-{r}" for r in RUNTIMES}
    with pytest.raises(ValueError, match="unknown embedding runtime 'gpu'"):
        EmbeddingConfig(runtime="gpu")  # type: ignore[arg-type]


def test_the_embedder_must_be_the_one_the_config_names(mini_hierarchy, tmp_path):
    from harness.llm import Embedder

    with pytest.raises(ValueError, match="runs all-MiniLM-L6-v2 in onnx, but the config names all-MiniLM-L6-v2 in"):
        EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(runtime="torch"),
                            embedder=Embedder(cache_root=tmp_path, runtime="onnx"))


def test_a_runtime_in_the_spec_reaches_the_encoder(mini_hierarchy, mini_release):
    from harness.classify import DEFAULT_BACKEND
    from harness.errors import UsageError
    from harness.llm import DEFAULT_RUNTIME

    other = "torch" if DEFAULT_RUNTIME != "torch" else "onnx-int8"
    clf = get_classifier(f"embedding:minilm+runtime:{other}", mini_hierarchy, release=mini_release)
    assert clf.config.runtime == clf.embedder.runtime == other
    assert clf.spec == f"embedding:all-MiniLM-L6-v2+runtime:{other}"
    assert clf.describe()["config"]["runtime"] == other and clf.describe()["runtime"].startswith(other)
    # the default runtime is the bare spec, so a run of the default reads as it always did
    default = get_classifier(f"{DEFAULT_BACKEND}+runtime:{DEFAULT_RUNTIME}", mini_hierarchy)
    assert default.spec == DEFAULT_BACKEND and default.embedder.runtime == DEFAULT_RUNTIME
    with pytest.raises(UsageError, match="unknown embedding runtime 'gpu'"):
        get_classifier("embedding:minilm+runtime:gpu", mini_hierarchy)
    # the same modifier given as an option
    assert get_classifier("embedding:minilm", mini_hierarchy, runtime=other).config.runtime == other
