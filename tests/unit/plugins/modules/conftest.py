"""The `run_module` fixture: one module's main() run with arguments, its JSON result returned."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_module(capsys):
    """run_module(main, check=False, diff=False, **args) -> the module's result (exit code checked)."""

    def _run(main, check=False, diff=False, **args):
        args.update(_ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                main()
        result = json.loads(capsys.readouterr().out)
        assert bool(exc.value.code) == bool(result.get("failed")), result
        return result

    return _run
