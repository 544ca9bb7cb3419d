from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_change_tracking(sender, using, **kwargs):
    from django.db import connections

    from config.db import install_change_tracking

    install_change_tracking(connections[using])


class TenantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tenants"
    verbose_name = "Tenants and API access"

    def ready(self):
        # Schema infrastructure, not business logic: the change_seq triggers are
        # (re)installed after every migrate so new tracked tables get them too.
        post_migrate.connect(_install_change_tracking, dispatch_uid="install_change_tracking")
