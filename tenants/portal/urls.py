from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from tenants.portal.views import account, auth, billing, connections, dashboard, operations, usage, webhooks

app_name = "portal"

_reset = {
    "email_template_name": "portal/account/password_reset_email.txt",
    "subject_template_name": "portal/account/password_reset_subject.txt",
    "template_name": "portal/account/password_reset.html",
    "success_url": reverse_lazy("portal:password_reset_done"),
}

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # Account and session
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(**_reset), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/account/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/account/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="portal/account/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("no-account/", auth.no_tenant, name="no_tenant"),
    path("switch/tenant/", auth.tenant_switch, name="tenant_switch"),
    path("switch/environment/", auth.environment_switch, name="environment_switch"),
    path("account/", account.member_list, name="account"),
    path("account/members/", account.member_list, name="members"),
    path("account/members/<int:membership_id>/", account.member_update, name="member_update"),
    path("account/audit-log/", connections.audit_log, name="audit_log"),
    # API connections
    path("connections/", connections.connection_list, name="connections"),
    path("connections/new/", connections.connection_create, name="connection_create"),
    path("connections/<str:public_id>/", connections.connection_detail, name="connection_detail"),
    path("connections/<str:public_id>/roll/", connections.connection_roll, name="connection_roll"),
    path("connections/<str:public_id>/revoke/", connections.connection_revoke, name="connection_revoke"),
    # Usage and request log
    path("usage/", usage.usage, name="usage"),
    path("usage/requests/", usage.request_log, name="request_log"),
    # Webhooks
    path("webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("webhooks/new/", webhooks.endpoint_create, name="webhook_create"),
    path("webhooks/<str:public_id>/", webhooks.endpoint_detail, name="webhook_detail"),
    path("webhooks/<str:public_id>/edit/", webhooks.endpoint_edit, name="webhook_edit"),
    path("webhooks/<str:public_id>/action/", webhooks.endpoint_action, name="webhook_action"),
    path(
        "webhooks/<str:public_id>/deliveries/<str:delivery_id>/resend/", webhooks.delivery_resend, name="webhook_resend"
    ),
    # Billing
    path("billing/", billing.invoice_list, name="billing"),
    path("billing/invoices/<int:invoice_id>/", billing.invoice_detail, name="invoice_detail"),
    path("billing/invoices/<int:invoice_id>/csv/", billing.invoice_csv, name="invoice_csv"),
    # Operations (read-only)
    path("operations/", operations.operations_home, name="operations"),
    path("operations/orders/", operations.order_list, name="orders"),
    path("operations/orders/<str:public_id>/", operations.order_detail, name="order_detail"),
    path("operations/shipments/", operations.shipment_list, name="shipments"),
    path("operations/inventory/", operations.inventory, name="inventory"),
    path("operations/inbound/", operations.inbound_list, name="inbound"),
    path("operations/returns/", operations.return_list, name="returns"),
]
