-- Run once by the mysql image on an empty volume, after it created user `app` and database `app`.
-- Tests create and drop a database per test, so `app` needs more than its own database.
GRANT ALL PRIVILEGES ON *.* TO 'app'@'%';
FLUSH PRIVILEGES;
