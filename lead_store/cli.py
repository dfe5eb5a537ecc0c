"""``khuyencong-leads``: officers export leads and record that they contacted them.

Who may use it: only officers of the provincial Trung tâm Khuyến công authorised to process the
personal data that people agreed to give (Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân
2025). No chat endpoint ever returns leads; the only other way to them is the officers' web
console (``console/``, behind an officer login, every export and deletion audited), which uses
the same writers (:func:`write_csv_to`, :func:`write_xlsx_to`). This tool runs on a machine from
which the leads database is reachable, with the same configuration as the bot (``DATABASE_URL``,
e.g. ``postgresql+psycopg2://officer@db-host/khuyencong``; SQLite file ``var/khuyencong.db`` when
unset). Access is therefore controlled by who can log in to that machine and by the database's
own accounts; give officers a database role that can read and update the ``leads`` table only.

Commands::

    khuyencong-leads export --format csv|xlsx --out PATH [--province KEY]
                            [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--not-contacted]
    khuyencong-leads mark-contacted ID [ID ...] --by NAME [--note TEXT]
    khuyencong-leads list [--province KEY] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
    khuyencong-leads delete [ID ...] [--phone NUMBER] --yes     # a person's deletion request
    khuyencong-leads flush-outbox [--outbox PATH]   # leads queued while the database was down

Dates are calendar days in Vietnam time, both ends included. Exported files contain names and
phone numbers: they are created readable by their owner only (mode 600); keep them on the
Centre's machines and delete them when no longer needed. CSV is UTF-8 with a BOM so Excel shows
Vietnamese correctly; XLSX opens directly in Excel/LibreOffice. The tool prints only counts and
the output path, never a name or a phone number.

Exit codes: 0 done; 1 the database or the output file failed (for flush-outbox: leads are still
waiting); 2 bad arguments (nothing done).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from policy_kb.db import database_url, get_engine
from lead_store.leads import (
    Lead,
    LeadError,
    LeadNotFoundError,
    LeadValidationError,
    delete_leads,
    ensure_schema,
    lead_conditions,
    mark_contacted,
    query_leads,
    to_vietnam_time,
)
from vntext.phone import national_format

PROG = "khuyencong-leads"

# (header in the exported file, how to get the value, kind)
Column = Tuple[str, Callable[[Lead], Any], str]
EXPORT_COLUMNS: List[Column] = [
    ("Mã", lambda l: l.id, "int"),
    ("Họ tên", lambda l: l.name, "text"),
    ("Số điện thoại", lambda l: l.phone_e164, "phone"),
    ("Số gọi trong nước", lambda l: national_format(l.phone_e164) or "", "phone"),
    ("Tỉnh/thành", lambda l: l.province, "text"),
    ("Loại hình", lambda l: l.business_type, "text"),
    ("Ngành nghề", lambda l: l.industry, "text"),
    ("Hoạt động đề nghị hỗ trợ", lambda l: l.activity, "text"),
    ("Chi phí dự kiến (đồng)", lambda l: l.estimated_cost_vnd, "money"),
    ("Kết quả kiểm tra sơ bộ", lambda l: l.verdict, "text"),
    ("Kênh", lambda l: l.channel, "text"),
    ("Mã hội thoại", lambda l: l.conversation_id, "text"),
    ("Phiên bản nội dung đồng ý", lambda l: l.consent_version, "text"),
    ("Thời điểm đồng ý (giờ VN)", lambda l: to_vietnam_time(l.consent_at), "datetime"),
    ("Ngày tạo (giờ VN)", lambda l: to_vietnam_time(l.created_at), "datetime"),
    ("Cập nhật (giờ VN)", lambda l: to_vietnam_time(l.updated_at), "datetime"),
    ("Đã liên hệ lúc (giờ VN)", lambda l: to_vietnam_time(l.contacted_at), "datetime"),
    ("Cán bộ liên hệ", lambda l: l.contacted_by, "text"),
    ("Ghi chú", lambda l: l.note, "text"),
]
EXPORT_HEADERS = [c[0] for c in EXPORT_COLUMNS]
_WIDTHS = {"int": 8, "phone": 18, "money": 20, "datetime": 20}
_DATETIME_FORMAT_XLSX = "dd/mm/yyyy hh:mm"
_DATETIME_FORMAT_CSV = "%Y-%m-%d %H:%M:%S"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UsageError(Exception):
    """Bad arguments: exit code 2, nothing done."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # bilingual, exit code 2
        self.print_usage(sys.stderr)
        self.exit(2, f"Lỗi tham số / Argument error: {message}\nXem hướng dẫn / See help: {PROG} --help\n")


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"ngày không hợp lệ / invalid date {text!r}: dùng dạng / use YYYY-MM-DD"
        ) from None


MAX_ID = 2**63 - 1


def _id_arg(text: str) -> int:
    if not text.strip().isdigit() or not text.strip().isascii() or not 0 < int(text) <= MAX_ID:
        raise argparse.ArgumentTypeError(
            f"mã không hợp lệ / invalid lead id {text!r}: số nguyên dương / a positive integer"
        )
    return int(text)


# ------------------------------------------------------------------------------ file writers


def _csv_text(value: Any) -> str:
    # A cell starting with = + - @ is a formula for Excel: neutralise user-typed text.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(lead: Lead) -> List[str]:
    row = []
    for _, get, kind in EXPORT_COLUMNS:
        value = get(lead)
        if value is None:
            row.append("")
        elif kind == "datetime":
            row.append(value.strftime(_DATETIME_FORMAT_CSV))
        elif kind in ("int", "money", "phone"):  # produced by us, not typed by the user
            row.append(str(value))
        else:
            row.append(_csv_text(value))
    return row


def csv_rows(leads: Iterable[Lead]) -> Iterator[List[str]]:
    """The export's rows as text cells, header first (shared with the web console's download)."""
    yield list(EXPORT_HEADERS)
    for lead in leads:
        yield _csv_row(lead)


def write_csv_to(leads: Iterable[Lead], fh: TextIO) -> None:
    """Write the CSV export to an open text file (``newline=""``; the BOM is the caller's encoding)."""
    csv.writer(fh).writerows(csv_rows(leads))


def write_csv(leads: Sequence[Lead], path: Path) -> None:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly), comma separated, header row."""

    def write(fd: int) -> None:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            write_csv_to(leads, fh)

    _atomic_write(path, write)


def xlsx_workbook(leads: Sequence[Lead]):
    """The export as an openpyxl Workbook (shared with the web console's download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách liên hệ"
    ws.append(EXPORT_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for r, lead in enumerate(leads, start=2):
        for c, (_, get, kind) in enumerate(EXPORT_COLUMNS, start=1):
            value = get(lead)
            cell = ws.cell(row=r, column=c)
            if value is None:
                continue
            cell.value = value
            if kind == "datetime":
                cell.number_format = _DATETIME_FORMAT_XLSX
            elif kind == "money":
                cell.number_format = "#,##0"
            elif kind in ("text", "phone"):
                # never a formula, whatever the text starts with ("+84..." stays "+84...")
                cell.value = str(value)
                cell.data_type = "s"
                cell.number_format = "@"
    for c, (header, _, kind) in enumerate(EXPORT_COLUMNS, start=1):
        width = _WIDTHS.get(kind)
        if width is None:
            longest = max(
                [len(str(ws.cell(row=r, column=c).value or "")) for r in range(2, min(ws.max_row, 500) + 1)] or [0]
            )
            width = min(max(12, longest + 2), 40)
        ws.column_dimensions[get_column_letter(c)].width = max(width, min(len(header) + 2, 28))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_COLUMNS))}{max(ws.max_row, 1)}"
    return wb


def write_xlsx_to(leads: Sequence[Lead], fh: BinaryIO) -> None:
    """Write the XLSX export to an open binary file."""
    xlsx_workbook(leads).save(fh)


def write_xlsx(leads: Sequence[Lead], path: Path) -> None:
    """One sheet, bold Vietnamese header, frozen and filterable; phones as text, dates as dates."""
    wb = xlsx_workbook(leads)

    def write(fd: int) -> None:
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)

    _atomic_write(path, write)


def _atomic_write(path: Path, write: Callable[[int], None]) -> None:
    """Write to a temporary file (mode 600) beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        write(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ---------------------------------------------------------------------------------- commands


def _filters(args: argparse.Namespace) -> Dict[str, Any]:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UsageError(f"--from {args.date_from} sau / is after --to {args.date_to}")
    return {"province": args.province, "date_from": args.date_from, "date_to": args.date_to}


def _export(engine, args: argparse.Namespace) -> int:
    filters = _filters(args)
    out = Path(args.out).expanduser()
    if not out.parent.is_dir():
        raise UsageError(f"thư mục không tồn tại / directory does not exist: {out.parent}")
    if out.is_dir():
        raise UsageError(f"--out là một thư mục / is a directory: {out}")
    with Session(engine, future=True) as session:
        leads = query_leads(session, contacted=False if args.not_contacted else None, **filters)
    (write_csv if args.format == "csv" else write_xlsx)(leads, out)
    print(f"Đã xuất {len(leads)} liên hệ / Exported {len(leads)} leads: {out.resolve()}")
    return 0


def _mark(engine, args: argparse.Namespace) -> int:
    try:
        count = mark_contacted(engine, args.ids, args.by, note=args.note)
    except LeadNotFoundError as exc:
        raise UsageError(
            f"không có liên hệ mã / no lead with id: "
            f"{', '.join(map(str, exc.ids))} (không thay đổi gì / nothing changed)"
        ) from None
    print(f"Đã đánh dấu đã liên hệ / Marked as contacted: {count}")
    return 0


def _list(engine, args: argparse.Namespace) -> int:
    filters = _filters(args)
    # count(contacted_at) counts the non-NULL ones: the leads already contacted
    stmt = (
        select(Lead.province, func.count(), func.count(Lead.contacted_at))
        .where(*lead_conditions(**filters))
        .group_by(Lead.province)
    )
    table: Dict[str, List[int]] = {}
    with Session(engine, future=True) as session:
        for province, total, done in session.execute(stmt):
            key = province or "(chưa rõ / unknown)"
            row = table.setdefault(key, [0, 0])
            row[0] += total - done
            row[1] += done
    head = ("Tỉnh / Province", "Chưa liên hệ / Not contacted", "Đã liên hệ / Contacted", "Tổng / Total")
    rows = [(p, str(n), str(d), str(n + d)) for p, (n, d) in sorted(table.items())]
    total_n = sum(n for n, _ in table.values())
    total_d = sum(d for _, d in table.values())
    rows.append(("Tổng / Total", str(total_n), str(total_d), str(total_n + total_d)))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
    return 0


def _delete(engine, args: argparse.Namespace) -> int:
    if not args.ids and not args.phone:
        raise UsageError("cần mã hoặc --phone / give lead ids or --phone")
    if not args.yes:
        raise UsageError("xóa là vĩnh viễn, thêm --yes để xác nhận / deletion is permanent, add --yes to confirm")
    try:
        count = delete_leads(engine, args.ids, phone=args.phone)
    except LeadNotFoundError as exc:
        raise UsageError(
            f"không có liên hệ mã / no lead with id: {', '.join(map(str, exc.ids))} (không xóa gì / nothing deleted)"
        ) from None
    except LeadValidationError as exc:
        if exc.field == "phone":
            raise UsageError("số điện thoại không hợp lệ / invalid phone number") from None
        raise UsageError(str(exc)) from None
    print(f"Đã xóa / Deleted: {count}")
    return 0


def _flush_outbox(engine, args: argparse.Namespace) -> int:
    from lead_store.outbox import Outbox

    path = Path(args.outbox).expanduser() if args.outbox else None
    if path is not None and (not path.name or path.is_dir()):
        raise UsageError(f"--outbox phải là một tệp / must be a file: {path}")
    box = Outbox(path)
    result = box.flush(engine)
    print(
        f"Hàng đợi / Outbox {box.path}: đã lưu / stored {result.stored}, "
        f"còn chờ / waiting {result.remaining}, bị từ chối / rejected {result.rejected}"
        + (f" (xem / see {box.rejected_path})" if result.rejected else "")
    )
    if result.error:
        print(f"Lỗi cơ sở dữ liệu / Database error: {result.error}", file=sys.stderr)
    return 1 if result.remaining else 0


def _erasure_requests(engine, args: argparse.Namespace) -> int:
    """Requests left in the chat for a phone number: id, when, channel, and how many stored leads
    carry that number (the number itself is never shown: only its salted hash is stored)."""
    from lead_store.erasure import ensure_erasure_schema, erasure_requests, matching_leads

    ensure_erasure_schema(engine)
    with Session(engine, future=True) as session:
        pending = erasure_requests(session, pending_only=not args.all)
        print("Mã / ID  Thời gian (VN) / When  Kênh / Channel  Liên hệ khớp / Matching leads  Xử lý / Processed")
        for req in pending:
            when = to_vietnam_time(req.requested_at).strftime("%Y-%m-%d %H:%M")
            matched = [str(lead.id) for lead in matching_leads(session, req)]
            done = f"{req.processed_by} ({req.erased})" if req.processed_at else "-"
            print(f"{req.id:<8} {when:<21} {req.channel:<15} {', '.join(matched) or '-':<31} {done}")
    print(f"Tổng / Total: {len(pending)}")
    return 0


def _process_erasure(engine, args: argparse.Namespace) -> int:
    """Carry out one request: erase every lead with the requested number, record who did it."""
    from lead_store.erasure import ErasureRequest, ensure_erasure_schema, mark_erasure_processed, matching_leads

    if not args.yes:
        raise UsageError("xóa là vĩnh viễn, thêm --yes để xác nhận / deletion is permanent, add --yes to confirm")
    ensure_erasure_schema(engine)
    with Session(engine, future=True) as session:
        req = session.get(ErasureRequest, args.id)
        if req is None:
            raise UsageError(f"không có yêu cầu mã / no request with id: {args.id}")
        ids = [lead.id for lead in matching_leads(session, req)]
    count = delete_leads(engine, ids) if ids else 0
    mark_erasure_processed(engine, args.id, args.by, erased=count)
    print(f"Yêu cầu / Request {args.id}: đã xóa / deleted {count}")
    return 0


def _purge_handled(engine, args: argparse.Namespace) -> int:
    """The retention the assistant promises: leads are kept until the centre has handled them."""
    from lead_store.leads import erase_handled_leads

    if not args.yes:
        raise UsageError("xóa là vĩnh viễn, thêm --yes để xác nhận / deletion is permanent, add --yes to confirm")
    count = erase_handled_leads(engine, args.contacted_before)
    print(f"Đã xóa liên hệ đã xử lý / Deleted handled leads: {count}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Xuất và cập nhật danh sách liên hệ khuyến công "
        "(chỉ dành cho cán bộ được phân quyền) / Export and update khuyến công leads "
        "(authorised officers only).",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add_filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--province", metavar="KEY", help="mã tỉnh / province key, e.g. da_nang")
        p.add_argument(
            "--from",
            dest="date_from",
            type=_date_arg,
            metavar="YYYY-MM-DD",
            help="từ ngày (giờ VN, tính cả ngày này) / from this day, included",
        )
        p.add_argument(
            "--to",
            dest="date_to",
            type=_date_arg,
            metavar="YYYY-MM-DD",
            help="đến ngày (giờ VN, tính cả ngày này) / to this day, included",
        )

    e = sub.add_parser("export", help="xuất CSV/Excel / export to CSV or Excel")
    e.add_argument("--format", required=True, choices=("csv", "xlsx"))
    e.add_argument("--out", required=True, metavar="PATH", help="tệp kết quả / output file")
    add_filters(e)
    e.add_argument("--not-contacted", action="store_true", help="chỉ liên hệ chưa gọi / only leads not yet contacted")

    m = sub.add_parser("mark-contacted", help="đánh dấu đã liên hệ / mark leads as contacted")
    m.add_argument("ids", nargs="+", type=_id_arg, metavar="ID")
    m.add_argument("--by", required=True, metavar="NAME", help="cán bộ liên hệ / officer")
    m.add_argument("--note", help="ghi chú / note")

    ls = sub.add_parser("list", help="đếm theo tỉnh và trạng thái / counts per province and status")
    add_filters(ls)

    d = sub.add_parser("delete", help="xóa theo yêu cầu của người dùng / erase on request")
    d.add_argument("ids", nargs="*", type=_id_arg, metavar="ID")
    d.add_argument("--phone", help="xóa mọi liên hệ có số này / every lead with this number")
    d.add_argument("--yes", action="store_true", help="xác nhận xóa / confirm deletion")

    f = sub.add_parser(
        "flush-outbox",
        help="lưu các liên hệ đang chờ vì CSDL gián đoạn / store leads queued while the database was down",
    )
    f.add_argument(
        "--outbox", metavar="PATH", help="tệp hàng đợi / outbox file (default: LEAD_OUTBOX or var/lead_outbox.jsonl)"
    )
    r = sub.add_parser("erasure-requests", help="yêu cầu xóa để lại trong chat / erasure requests left in the chat")
    r.add_argument("--all", action="store_true", help="cả yêu cầu đã xử lý / include processed ones")
    pe = sub.add_parser("process-erasure", help="xử lý một yêu cầu xóa / carry out one erasure request")
    pe.add_argument("id", type=_id_arg, metavar="ID")
    pe.add_argument("--by", required=True, metavar="NAME", help="cán bộ xử lý / officer")
    pe.add_argument("--yes", action="store_true", help="xác nhận xóa / confirm deletion")
    ph = sub.add_parser(
        "purge-handled",
        help="xóa liên hệ đã liên hệ xong trước ngày / erase leads contacted before a day (the stated retention)",
    )
    ph.add_argument("--contacted-before", required=True, type=_date_arg, metavar="YYYY-MM-DD")
    ph.add_argument("--yes", action="store_true", help="xác nhận xóa / confirm deletion")
    return parser


def _unusable_argument(argv: Sequence[str]) -> Optional[str]:
    """Why an argument cannot be used at all (a NUL, or text that is not valid UTF-8)."""
    for arg in argv:
        if "\x00" in arg:
            return "tham số chứa ký tự NUL / an argument contains a NUL character"
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return "tham số không phải văn bản UTF-8 hợp lệ / an argument is not valid UTF-8 text"
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = _unusable_argument(argv)
    if problem:
        print(f"Lỗi tham số / Argument error: {problem}", file=sys.stderr)
        return 2
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument (2)
        return int(exc.code or 0)
    url = database_url()
    commands = {
        "export": _export,
        "mark-contacted": _mark,
        "list": _list,
        "delete": _delete,
        "flush-outbox": _flush_outbox,
        "erasure-requests": _erasure_requests,
        "process-erasure": _process_erasure,
        "purge-handled": _purge_handled,
    }
    try:
        engine = get_engine(url)
        ensure_schema(engine)
        return commands[args.command](engine, args)
    except UsageError as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    except LeadValidationError as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, LeadError) as exc:
        detail = type(exc).__name__ if isinstance(exc, SQLAlchemyError) else str(exc)
        print(f"Lỗi cơ sở dữ liệu / Database error ({detail}) tại / at {_redact(url)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Lỗi ghi tệp / Cannot write file: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except (ValueError, OverflowError) as exc:  # a value no check above anticipated
        print(f"Lỗi / Error: giá trị không hợp lệ / invalid value ({type(exc).__name__})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
