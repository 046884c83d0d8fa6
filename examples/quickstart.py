"""HopX quickstart: list templates, create a sandbox, read its state; then the same with asyncio.

Configuration comes from the environment, as in any program:

    export HOPX_API_KEY=hopx_live_...        # or a .env file, or ~/.hopx/config.toml
    export HOPX_BASE_URL=http://127.0.0.1:8787   # only for hopx-local; unset for the real service
    python examples/quickstart.py
"""

import asyncio

from hopx_ai import AsyncSandbox, HopxError, Sandbox


def main() -> None:
    print("Templates:")
    for template in Sandbox.list_templates():
        print(f"  {template.name}\t{template.language}")

    sandbox = Sandbox.create(template="code-interpreter", timeout_seconds=600)
    info = sandbox.get_info()
    print(f"Created {info.sandbox_id}: status={info.status} template={info.template_name}")
    if info.expires_at is not None:
        print(f"  expires at {info.expires_at.isoformat()}")


async def main_async() -> None:
    sandbox = await AsyncSandbox.create(template="code-interpreter", timeout_seconds=600)
    info = await sandbox.get_info()
    print(f"Created (async) {info.sandbox_id}: status={info.status} template={info.template_name}")


if __name__ == "__main__":
    try:
        main()
        asyncio.run(main_async())
    except HopxError as error:
        # Every SDK error says what went wrong and how to fix it, and never shows the key.
        raise SystemExit(f"hopx: {error}") from None
