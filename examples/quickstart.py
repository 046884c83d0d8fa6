"""HopX quickstart: list templates, create a sandbox, run code in it and round-trip a file;
then the same with asyncio.

Configuration comes from the environment, as in any program:

    export HOPX_API_KEY=hopx_live_...        # or a .env file, or `hopx auth login`
    export HOPX_BASE_URL=http://127.0.0.1:8787   # only for hopx local; unset for the real service
    python examples/quickstart.py
"""

import asyncio

from hopx_ai import AsyncSandbox, HopxError, Sandbox


def main() -> None:
    print("Templates:")
    for template in Sandbox.list_templates():
        print(f"  {template.name}\t{template.language}")

    # The sandbox is killed when the block ends.
    with Sandbox.create(template="code-interpreter", timeout_seconds=600) as sandbox:
        info = sandbox.get_info()
        print(f"Created {info.sandbox_id}: status={info.status} template={info.template_name}")

        result = sandbox.run_code("print(1 + 1)")
        print(f"  run_code: stdout={result.stdout.strip()!r} exit_code={result.exit_code}")

        data = bytes(range(256))
        sandbox.files.write_bytes("/workspace/data.bin", data)
        assert sandbox.files.read_bytes("/workspace/data.bin") == data
        listing = sandbox.commands.run("ls -l /workspace | tail -n +2")
        print(f"  file round trip: 256 bytes intact; ls: {listing.stdout.strip()}")


async def main_async() -> None:
    async with AsyncSandbox.create(template="code-interpreter", timeout_seconds=600) as sandbox:
        result = await sandbox.run_code("console.log(6 * 7)", language="javascript")
        print(f"Created (async) {sandbox.sandbox_id}: node says {result.stdout.strip()}")


if __name__ == "__main__":
    try:
        main()
        asyncio.run(main_async())
    except HopxError as error:
        # Every SDK error says what went wrong and how to fix it, and never shows the key.
        raise SystemExit(f"hopx: {error}") from None
