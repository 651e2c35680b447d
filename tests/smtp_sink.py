#!/usr/bin/env python3
"""A real SMTP server for the end-to-end tests: Debian's aiosmtpd, writing every message it
accepts as a JSON file (recipients, Message-ID, decoded subject and bodies) into OUTDIR.

Usage: /usr/bin/python3 tests/smtp_sink.py PORT OUTDIR
"""
import asyncio
import email
import email.policy
import json
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = html = None
        for part in msg.walk():
            if part.get_content_type() == "text/plain" and text is None:
                text = part.get_content()
            elif part.get_content_type() == "text/html" and html is None:
                html = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": msg["Message-ID"],
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "text": text,
            "html": html,
        }
        tmp = os.path.join(self.outdir, f".{uuid.uuid4().hex}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.outdir, f"{uuid.uuid4().hex}.json"))
        return "250 OK"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    controller = Controller(Sink(outdir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


main()
