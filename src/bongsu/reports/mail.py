"""A scheduled report as an e-mail: the HTML report as the body, a plain-text summary, the
PDF (and CSV) attached; sent through the alert engine's e-mail channel
(``bongsu.alerts.channels.email.smtp_send``) with that channel's SMTP settings.

The Message-ID is made from the schedule and period (``report-<schedule>-<period start>``),
so a copy sent again after a crash between the SMTP server's answer and the delivery's
``sent`` mark reads as the same message.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from bongsu.alerts.channels import SendResult
from bongsu.alerts.channels.email import smtp_send
from bongsu.alerts.model import Channel
from bongsu.reports.repo import Delivery, Job, Schedule


def delivery_key(d: Delivery) -> str:
    return f"report-{d.schedule_id}-{d.period_start_us}"


def report_message(schedule: Schedule, delivery: Delivery, job: Job, folder: Path,
                   channel: Channel, period: str) -> EmailMessage:
    config = channel.config
    title = job.title or schedule.name
    message = EmailMessage()
    message["Subject"] = f"{schedule.name}: {title} ({period})"
    message["From"] = config["from"]
    message["To"] = ", ".join(config["to"])
    message["Message-ID"] = f"<{delivery_key(delivery)}@bongsu>"
    message["X-Bongsu-Idempotency-Key"] = delivery_key(delivery)
    text = f"{title}\n{period}\n\nThe report is attached (PDF and CSV)."
    if job.pdf_error:
        text += f"\nThe PDF could not be printed: {job.pdf_error}"
    message.set_content(text + "\n")
    message.add_alternative((folder / "report.html").read_text(encoding="utf-8"),
                            subtype="html")
    stem = f"{schedule.kind}-{period.split(' ')[0]}"
    pdf = folder / "report.pdf"
    if pdf.exists():
        message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf",
                               filename=f"{stem}.pdf")
    message.add_attachment((folder / "report.csv").read_bytes(), maintype="text",
                           subtype="csv", filename=f"{stem}.csv")
    return message


def send_report(message: EmailMessage, channel: Channel) -> SendResult:
    return smtp_send(channel.config, message)
