"""SQLAlchemy storage: models, repositories, unit of work, engine factory, migrations."""
