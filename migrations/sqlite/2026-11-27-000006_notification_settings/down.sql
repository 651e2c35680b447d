DROP TABLE reminders_sent;
DROP TABLE subscriptions;
DROP TABLE notification_preferences;
