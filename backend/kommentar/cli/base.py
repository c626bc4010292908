"""What every command shares: the ``kommentar`` group with its ``--config``, the app a command
works through, and durations written as 30d or 12h."""

from __future__ import annotations

from datetime import timedelta

import click

from .. import config as settings


def app_for(config_path: str | None, **overrides):
    """The app a command works through (its settings, its database, migrated); a bad
    configuration is the command's one-line error."""
    from .. import create_app  # at run time: importing the app costs what --help should not

    if config_path:
        overrides["config"] = config_path
    try:
        return create_app(overrides)
    except settings.ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group()
@click.option("--config", "config_path", envvar="KOMMENTAR_CONFIG", type=click.Path(),
              help="TOML config file (also KOMMENTAR_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Kommentar, a self-hosted comment system."""
    ctx.obj = config_path


class Duration(click.ParamType):
    """A span of time written as a number and a unit: 90s, 15m, 12h, 30d, 2w."""

    name = "duration"
    UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

    def convert(self, value, param, ctx):
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().lower()
        if len(text) < 2 or text[-1] not in self.UNITS or not text[:-1].isdigit():
            self.fail(f"{value!r} is not a duration such as 30d, 12h or 90m", param, ctx)
        return timedelta(**{self.UNITS[text[-1]]: int(text[:-1])})
