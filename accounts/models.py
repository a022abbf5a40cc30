from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import TimeStamped


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, email: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **extra):
        extra["is_superuser"] = True
        return self.create_user(username, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin, TimeStamped):
    username = models.CharField(max_length=100, unique=True)
    email = models.EmailField(max_length=255)
    full_name = models.CharField(max_length=255, blank=True, null=True)
    bio = models.TextField(blank=True, null=True)
    # E.164, NULL when unset so that many users can have no number.
    phone_number = models.CharField(max_length=20, unique=True, blank=True, null=True)
    # Set when the user proved the number (a code sent to it, or a superuser): only a verified
    # number links its SMS/WhatsApp to this account. A new number starts unverified.
    phone_verified_at = models.DateTimeField(blank=True, null=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False,
        help_text="Agent: the staff panel, the handoff inbox and the staff API's messaging routes. "
        "A superuser is always staff.",
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.username

    @property
    def phone_verified(self) -> bool:
        return self.phone_number is not None and self.phone_verified_at is not None

    def save(self, *args, **kwargs):
        # Staff without superuser is the agent role (least privilege); a superuser is always staff.
        if self.is_superuser:
            self.is_staff = True
        if self.phone_number == "":
            self.phone_number = None
        super().save(*args, **kwargs)


class Role(TimeStamped):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True, null=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UserRole(TimeStamped):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="user_roles")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="accounts_userrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.role}"


class UserSession(TimeStamped):
    """One login (device); tokens carry its id as `sid` and die with it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_token = models.CharField(max_length=255, unique=True, editable=False)
    device_info = models.CharField(max_length=255, blank=True, null=True)
    ip_address = models.CharField(max_length=50, blank=True, null=True)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField()
    refresh_jti = models.CharField(max_length=64, blank=True, null=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"Session {self.pk} of {self.user_id}"

    @property
    def is_live(self) -> bool:
        return self.is_active and self.expires_at > timezone.now()


class PhoneVerification(TimeStamped):
    """One code sent to a number to prove it (the newest of a user's rows is the live one). Only
    the code's HMAC is kept; the rows also count the sends for the rate limits."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_verifications")
    number = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)
    code_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(blank=True, null=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["number", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Phone verification {self.pk} of {self.user_id}"
