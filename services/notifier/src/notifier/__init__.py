"""The notifier service: mails temporary passwords, status changes and security notices."""
