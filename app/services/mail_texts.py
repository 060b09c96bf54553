"""The texts of the e-mails, in French and English: (subject, body) templates by kind."""

from __future__ import annotations

from string import Template

from app.models.enums import Language, MailKind

TEXTS: dict[tuple[MailKind, Language], tuple[str, str]] = {
    (MailKind.TICKET_OPENED, Language.FR): (
        "[#$number] Nouveau ticket $priority : $subject",
        "$author a ouvert le ticket #$number pour votre équipe ($priority).\n\n"
        "$subject\n\n$description\n",
    ),
    (MailKind.TICKET_OPENED, Language.EN): (
        "[#$number] New $priority ticket: $subject",
        "$author opened ticket #$number for your team ($priority).\n\n$subject\n\n$description\n",
    ),
    (MailKind.REPLY, Language.FR): (
        "[#$number] Réponse à votre demande : $subject",
        "Le support a répondu à votre ticket #$number :\n\n$body\n",
    ),
    (MailKind.REPLY, Language.EN): (
        "[#$number] Reply to your request: $subject",
        "The support desk answered your ticket #$number:\n\n$body\n",
    ),
    (MailKind.RELEASE, Language.FR): (
        "Version $version publiée",
        "La version $version est en ligne. Elle contient :\n\n$notes\n",
    ),
    (MailKind.RELEASE, Language.EN): (
        "Release $version published",
        "Release $version is live. It contains:\n\n$notes\n",
    ),
    (MailKind.SHIPPED, Language.FR): (
        "Ce que vous avez demandé est disponible ($version)",
        "Bonne nouvelle : ce que vous avez demandé dans $numbers est disponible depuis la "
        "version $version.\n",
    ),
    (MailKind.SHIPPED, Language.EN): (
        "What you asked for has shipped ($version)",
        "Good news: what you asked for in $numbers is available since release $version.\n",
    ),
}


def text_of(kind: MailKind, language: Language, values: dict[str, str]) -> tuple[str, str]:
    """The subject (on one line) and body of an e-mail of this kind, in this language."""
    subject, body = TEXTS[kind, language]
    line = Template(subject).safe_substitute(values)
    return " ".join(line.split()), Template(body).safe_substitute(values)
