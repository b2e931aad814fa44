"""The mailman role's Mailman plugin (roles/mailman/files/listserv_mailstack_mailman):
its graceful stop of the runners and its handlers' places in the posting pipeline.

A stand-in runner reproduces the part of Mailman's Runner the plugin changes:
its signal handler raises RunnerInterrupt, and an exception while a message is
processed moves the message to the shunt queue. The end-to-end proof (posts
survive a restart of mailman3 and a failover during delivery) is in the
molecule scenarios.
"""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path

import pytest

ROLE = Path(__file__).resolve().parents[3] / "roles" / "mailman"
PLUGIN = ROLE / "files" / "listserv_mailstack_mailman" / "__init__.py"


def load_plugin():
    spec = importlib.util.spec_from_file_location("listserv_mailstack_mailman_under_test", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunnerInterrupt(Exception):
    pass


def make_runner_class():
    class Runner:
        """Mailman's Runner, reduced to the queue loop and its signal handling."""

        name = "out"

        def __init__(self, queue, signal_at=None):
            self.queue = list(queue)
            self.done = []
            self.shunted = []
            self._stop = False
            self.status = 0
            self.signal_at = signal_at

        def stop(self):
            self._stop = True

        def signal_handler(self, signum, frame):
            self.stop()
            self.status = signum
            raise RunnerInterrupt

        def _process_one_file(self, message):
            if message == self.signal_at:
                # The signal arrives while the message is being delivered.
                self.signal_handler(signal.SIGTERM, None)
            self.done.append(message)

        def _one_iteration(self):
            count = 0
            while self.queue:
                message = self.queue.pop(0)
                try:
                    self._process_one_file(message)
                except Exception:  # what Mailman's runner does
                    self.shunted.append(message)
                count += 1
                if self._stop:
                    break
            return count

        def _snooze(self):
            # An idle runner sleeping between queue scans gets the signal.
            self.signal_handler(signal.SIGTERM, None)

        def run(self):
            try:
                while True:
                    self._one_iteration()
                    if self._stop:
                        break
                    self._snooze()
            except RunnerInterrupt:
                pass

    return Runner


def test_without_the_plugin_a_stop_shunts_the_message_in_hand():
    runner = make_runner_class()(["a", "b", "c"], signal_at="b")
    runner.run()
    assert runner.shunted == ["b"]
    assert runner.done == ["a"]


def test_with_the_plugin_the_message_in_hand_is_finished_and_the_rest_stays_queued():
    plugin = load_plugin()
    runner_class = make_runner_class()
    assert plugin.patch_runner(runner_class) is True
    runner = runner_class(["a", "b", "c"], signal_at="b")
    runner.run()
    assert runner.shunted == []
    assert runner.done == ["a", "b"]
    assert runner.queue == ["c"]
    assert runner.status == signal.SIGTERM


def test_an_idle_runner_is_still_interrupted_at_once():
    plugin = load_plugin()
    runner_class = make_runner_class()
    plugin.patch_runner(runner_class)
    runner = runner_class([])
    with pytest.raises(RunnerInterrupt):
        runner.signal_handler(signal.SIGTERM, None)
    assert runner._stop


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
def test_every_stop_signal_waits_for_the_message(signum):
    plugin = load_plugin()
    runner_class = make_runner_class()
    plugin.patch_runner(runner_class)
    runner = runner_class(["a"])
    setattr(runner, plugin.BUSY, True)
    assert runner.signal_handler(signum, None) is None
    assert runner._stop
    assert runner.status == signum


def test_other_signals_keep_their_handling():
    plugin = load_plugin()
    runner_class = make_runner_class()
    plugin.patch_runner(runner_class)
    runner = runner_class(["a"])
    setattr(runner, plugin.BUSY, True)
    # SIGHUP reopens logs in Mailman; here the stand-in's handler shows it was reached.
    with pytest.raises(RunnerInterrupt):
        runner.signal_handler(signal.SIGHUP, None)


def test_patching_twice_changes_nothing():
    plugin = load_plugin()
    runner_class = make_runner_class()
    assert plugin.patch_runner(runner_class) is True
    handler = runner_class.signal_handler
    assert plugin.patch_runner(runner_class) is False
    assert runner_class.signal_handler is handler


def test_busy_flag_is_cleared_when_the_iteration_fails():
    plugin = load_plugin()
    runner_class = make_runner_class()

    def broken(self):
        raise OSError("queue directory vanished")

    runner_class._one_iteration = broken
    plugin.patch_runner(runner_class)
    runner = runner_class([])
    with pytest.raises(OSError, match="vanished"):
        runner._one_iteration()
    assert getattr(runner, plugin.BUSY) is False


def test_the_plugin_object_has_what_mailman_checks():
    plugin = load_plugin()
    instance = plugin.Plugin()
    assert instance.resource is None
    assert callable(instance.pre_hook)
    assert instance.post_hook() is None


def test_the_duplicate_handler_goes_first_in_the_posting_pipeline_once():
    plugin = load_plugin()

    class PostingPipeline:
        _default_handlers = ("validate-authenticity", "mime-delete", "to-outgoing")

    assert plugin.add_duplicate_handler(PostingPipeline, "listserv-duplicate-posts") is True
    assert PostingPipeline._default_handlers[0] == "listserv-duplicate-posts"
    assert plugin.add_duplicate_handler(PostingPipeline, "listserv-duplicate-posts") is False
    assert PostingPipeline._default_handlers == (
        "listserv-duplicate-posts",
        "validate-authenticity",
        "mime-delete",
        "to-outgoing",
    )


def test_the_bulk_handler_takes_the_place_of_mailmans_member_recipients_once():
    plugin = load_plugin()

    class PostingPipeline:
        _default_handlers = ("validate-authenticity", "member-recipients", "to-outgoing")

    assert plugin.replace_handler(PostingPipeline, "member-recipients", "listserv-member-recipients") is True
    assert PostingPipeline._default_handlers == ("validate-authenticity", "listserv-member-recipients", "to-outgoing")
    assert plugin.replace_handler(PostingPipeline, "member-recipients", "listserv-member-recipients") is False
    assert PostingPipeline._default_handlers == ("validate-authenticity", "listserv-member-recipients", "to-outgoing")
