"""``python -m console``: run the officers' console and manage its accounts.

Commands::

    python -m console serve                      # migrate, then serve on CONSOLE_HOST:CONSOLE_PORT
    python -m console migrate                    # bring the database schema up to date
    python -m console create-user NAME [--admin] [--display-name "Nguyễn Văn A"] [--password-stdin]
    python -m console set-password NAME [--password-stdin]
    python -m console disable-user NAME
    python -m console list-users

There is no default account and no default password. Passwords are typed at a prompt (twice)
or, for scripts and tests, read from standard input with ``--password-stdin`` (one line); never
on the command line, where ``ps`` and shell history would show them.
Exit codes: 0 done, 1 failure (database), 2 bad arguments or a refused password.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Optional, Sequence

from console import accounts

log = logging.getLogger("console")
FIRST_ACCOUNT_HINT = (
    "Chưa có tài khoản nào. Tạo tài khoản quản trị đầu tiên / No account yet. Create the first "
    "admin with:\n    python -m console create-user TEN_DANG_NHAP --admin"
)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Mật khẩu / Password: ")
    second = getpass.getpass("Nhập lại / Repeat: ")
    if first != second:
        raise accounts.AccountError("Hai lần nhập mật khẩu không khớp / The passwords do not match.")
    return first


def _engine(db_url: Optional[str] = None):
    from console.migrations import upgrade
    from console.settings import ConsoleSettings
    from policy_kb.db import get_engine

    url = db_url or ConsoleSettings.from_env().db_url
    upgrade(url)
    return get_engine(url)


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from console.app import make_app
    from console.settings import ConsoleSettings

    settings = ConsoleSettings.from_env()
    if args.port:
        settings.port = args.port
    if args.host:
        settings.host = args.host
    engine = _engine(settings.db_url)
    if accounts.count_officers(engine) == 0:
        log.warning(FIRST_ACCOUNT_HINT)
        print(FIRST_ACCOUNT_HINT, file=sys.stderr)
    print(f"Console: http://{settings.host}:{settings.port}/login", file=sys.stderr)
    # access log without Referer/User-Agent; paths and filters carry ids and keys, never names or phones
    web.run_app(
        make_app(settings), host=settings.host, port=settings.port, print=None, access_log_format='%a "%r" %s %b %Tfs'
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from console.migrations import current_revision
    from console.settings import ConsoleSettings

    url = ConsoleSettings.from_env().db_url
    _engine(url)
    print(f"Cơ sở dữ liệu ở phiên bản / Database at revision: {current_revision(url)}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    engine = _engine()
    password = _read_password(args)
    officer_id = accounts.create_officer(
        engine, args.username, password, "admin" if args.admin else "officer", args.display_name
    )
    from console.audit import write_audit

    write_audit(engine, None, "account_create", "officer", [officer_id], detail="cli")
    print(
        f"Đã tạo tài khoản / Created account: {accounts.normalize_username(args.username)} "
        f"({'admin' if args.admin else 'officer'})"
    )
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    engine = _engine()
    password = _read_password(args)
    officer = accounts.set_password(engine, args.username, password)
    from console.audit import write_audit

    write_audit(engine, None, "account_password_reset", "officer", [officer.id], detail="cli")
    print(f"Đã đổi mật khẩu / Password changed: {officer.username}")
    return 0


def cmd_disable_user(args: argparse.Namespace) -> int:
    engine = _engine()
    officer = accounts.set_active(engine, args.username, False)
    from console.audit import write_audit

    write_audit(engine, None, "account_disable", "officer", [officer.id], detail="cli")
    print(f"Đã khóa tài khoản / Disabled: {officer.username}")
    return 0


def cmd_list_users(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    engine = _engine()
    with Session(engine, future=True) as session:
        rows = accounts.list_officers(session)
        for o in rows:
            last = o.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if o.last_login_at else "-"
            print(f"{o.username:<24} {o.role:<8} {'active' if o.active else 'disabled':<9} {last}")
    print(f"Tổng / Total: {len(rows)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description="Trợ lý Khuyến công: officers' console")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="chạy bảng điều khiển / run the console")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="cập nhật lược đồ CSDL / migrate the database").set_defaults(func=cmd_migrate)
    c = sub.add_parser("create-user", help="tạo tài khoản / create an account")
    c.add_argument("username")
    c.add_argument("--admin", action="store_true")
    c.add_argument("--display-name")
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(func=cmd_create_user)
    p = sub.add_parser("set-password", help="đặt mật khẩu mới / set a new password")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_set_password)
    d = sub.add_parser("disable-user", help="khóa tài khoản / disable an account")
    d.add_argument("username")
    d.set_defaults(func=cmd_disable_user)
    sub.add_parser("list-users", help="danh sách tài khoản / list accounts").set_defaults(func=cmd_list_users)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except accounts.AccountError as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - database down etc.: a short message, no traceback of data
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            print(f"Lỗi cơ sở dữ liệu / Database error ({type(exc).__name__})", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
