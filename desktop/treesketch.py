"""Entry point of the frozen TreeSketch app (built by ``build_app.py``).

``TreeSketch [FILE]`` starts the editor exactly as ``python -m editor`` does.
``TreeSketch --smoke-test ...`` (first argument only; not in the editor's
``--help``) runs :mod:`treesketch_smoke` inside the same binary, so the smoke
test exercises the very executable a user starts.
"""

import sys

SMOKE_FLAG = "--smoke-test"


def main() -> int:
    """Run the smoke test or the editor, by the first command-line argument."""
    if sys.argv[1:2] == [SMOKE_FLAG]:
        import treesketch_smoke

        return treesketch_smoke.main(sys.argv[2:])
    from editor.app import main as editor_main

    return editor_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
