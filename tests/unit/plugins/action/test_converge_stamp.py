"""Unit tests for the converge_stamp action: its commands run as a no_log task's would (the ssh
connection prints a command's output at -vvv otherwise), and what it writes goes on stdin."""

from unittest.mock import MagicMock

from ansible.playbook.play_context import PlayContext

from ansible_collections.webstack.django.plugins.action.converge_stamp import ActionModule


def action_with(seen):
    play_context = PlayContext()
    play_context.no_log = False
    action = ActionModule(task=MagicMock(), connection=MagicMock(), play_context=play_context,
                          loader=None, templar=None, shared_loader_obj=None)

    def execute(command, in_data=None):
        seen.append((play_context.no_log, command, in_data))
        return {"rc": 0, "stdout": "", "stderr": ""}

    action._low_level_execute_command = execute  # pylint: disable=protected-access
    return action, play_context


def test_commands_run_with_their_output_hidden_and_the_setting_restored():
    seen = []
    action, play_context = action_with(seen)
    action._private("true")  # pylint: disable=protected-access
    assert [no_log for no_log, _command, _data in seen] == [True]
    assert play_context.no_log is False


def test_what_is_written_goes_on_stdin_not_in_the_command_line():
    seen = []
    action, _play_context = action_with(seen)
    action._write("/s/app.json", '{"parts":{"vars.app_password":"' + "e" * 64 + '"}}')  # pylint: disable=protected-access
    (no_log, command, data), = seen
    assert no_log is True
    assert "e" * 64 not in command and "parts" not in command
    assert data.decode().startswith('{"parts"') and data.endswith(b"\n")
