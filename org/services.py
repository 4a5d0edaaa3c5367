import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, QuerySet, When
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .errors import field_error
from .models import ApiToken, LoginThrottle, Team, User

LAST_USED_PRECISION = timedelta(minutes=1)
logger = logging.getLogger(__name__)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    team: Team | None = None,
    last_name: str = "",
    first_name: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Creates a user whose role and team agree: IS reps sit in an IS team, FS reps in an FS team."""
    user = User(
        username=username,
        role=role,
        team=team,
        last_name=last_name,
        first_name=first_name,
        email=email,
        is_staff=is_staff or is_superuser or role == User.Role.ADMIN,
        is_superuser=is_superuser,
    )
    user.full_clean(exclude=["password"])
    _check_role_team(user)
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_set_on_shift(*, user: User, on_shift: bool, actor: User) -> User:
    """Puts an IS rep on or off shift (on shift: takes new inbound leads). A manager may do it for the reps
    of the teams they manage, an administrator for anyone's; idempotent."""
    manages = actor.role == User.Role.MANAGER and Team.objects.filter(pk=user.team_id, manager=actor).exists()
    if not (actor.sees_everything or manages):
        raise PermissionDenied
    if user.role != User.Role.IS:
        raise field_error("on_shift", _("Only inside-sales reps work in shifts."), code="not_is")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.on_shift != on_shift:
        user.on_shift = on_shift
        user.save(update_fields=["on_shift"])
    return user


def _check_role_team(user: User) -> None:

    if user.team is None:
        return
    expected = {
        User.Role.IS: Team.IS_KINDS,
        User.Role.FS: (Team.Kind.FS_SEGMENT,),
        User.Role.CS: (Team.Kind.CS,),
        User.Role.MARKETING: (Team.Kind.MARKETING,),
    }.get(user.role)
    if expected is not None and user.team.kind not in expected:
        raise field_error(
            "team",
            _("A %(role)s user cannot sit in a %(kind)s team."),
            code="role_team_mismatch",
            params={"role": user.get_role_display(), "kind": user.team.get_kind_display()},
        )


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key exists only in this return value."""
    if not name.strip():
        raise field_error("name", _("Name the tool that will use the key."), code="required")
    key = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=key[:8], key_hash=_hash_key(key))
    token.full_clean(exclude=["user"])
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.user_id != actor.pk and not actor.sees_everything:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None and (token.last_used_at is None or timezone.now() - token.last_used_at > LAST_USED_PRECISION):
        # Written at most once a minute: a polling tool must not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# -- login protection ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginAttempt:
    """A password check the counters let through, already counted as a failure until it is settled."""

    username_key: str
    ip_key: str | None
    ip_window_started_at: datetime | None


def _login_limits() -> dict[str, int]:
    return {
        LoginThrottle.Scope.ACCOUNT: settings.LOGIN_FAILURE_LIMIT,
        LoginThrottle.Scope.IP: settings.LOGIN_IP_FAILURE_LIMIT,
    }


def login_locked_error(*, until: datetime, now: datetime) -> ValidationError:
    """The same words for a username that exists and one that does not, for an account and an address."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    message = ngettext(
        "Too many failed login attempts. Try again in %(minutes)d minute (after %(time)s).",
        "Too many failed login attempts. Try again in %(minutes)d minutes (after %(time)s).",
        minutes,
    )
    time = formats.date_format(timezone.localtime(until), "Y-m-d H:i")
    return ValidationError(message, code="login_locked", params={"minutes": minutes, "time": time})


@transaction.atomic
def login_attempt_begin(*, username: str, ip_address: str | None) -> LoginAttempt:
    """Counts the attempt as failed *before* the password is checked, under a row lock, so that however many
    guesses arrive at once, at most the limit's worth are ever checked per window; raises ``login_locked``
    while the username or the address is locked. Settle a right password with ``login_attempt_succeeded``."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    limits = _login_limits()
    keys = [(LoginThrottle.Scope.ACCOUNT, username[:150])]
    if ip_address:
        keys.append((LoginThrottle.Scope.IP, ip_address))
    LoginThrottle.objects.bulk_create(
        [LoginThrottle(scope=scope, key=key, window_started_at=now) for scope, key in keys], ignore_conflicts=True
    )
    # Always the account's row, then the address's: one locking order for every attempt, so no deadlock.
    throttles = [LoginThrottle.objects.select_for_update().get(scope=scope, key=key) for scope, key in keys]
    for throttle in throttles:
        lock_over = throttle.locked_until is not None and throttle.locked_until <= now
        window_over = throttle.locked_until is None and throttle.window_started_at + window <= now
        if lock_over or window_over:
            throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    locks = [throttle.locked_until for throttle in throttles if throttle.is_locked(now)]
    if locks:
        # Refused attempts are not counted: the lockout ends when it said it would, however much is tried.
        raise login_locked_error(until=max(locks), now=now)
    for throttle in throttles:
        throttle.failures += 1
        throttle.last_attempt_at = now
        if ip_address:
            throttle.last_ip_address = ip_address
        if throttle.failures >= limits[throttle.scope]:
            throttle.locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
            logger.warning("Logins locked until %s for %s %r", throttle.locked_until, throttle.scope, throttle.key)
        throttle.save()
    ip_throttle = throttles[1] if ip_address else None
    return LoginAttempt(
        username_key=keys[0][1],
        ip_key=ip_address,
        ip_window_started_at=ip_throttle.window_started_at if ip_throttle else None,
    )


@transaction.atomic
def login_attempt_succeeded(*, attempt: LoginAttempt) -> None:
    """The password was right: the username's count starts over, and the address is given back the attempt
    it was charged (unless its window has started over since), so an office's logins never lock it."""
    LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT, key=attempt.username_key).delete()
    if attempt.ip_key:
        LoginThrottle.objects.filter(
            scope=LoginThrottle.Scope.IP,
            key=attempt.ip_key,
            window_started_at=attempt.ip_window_started_at,
            failures__gt=0,
        ).update(
            failures=F("failures") - 1,
            # Read before the update: below the limit once this attempt is given back.
            locked_until=Case(
                When(failures__lte=settings.LOGIN_IP_FAILURE_LIMIT, then=None), default=F("locked_until")
            ),
        )


@transaction.atomic
def login_throttle_clear(*, throttles: QuerySet[LoginThrottle], actor: User) -> int:
    """An administrator lifts lockouts: the count starts over at the next attempt. Returns how many."""
    if not actor.sees_everything:
        raise PermissionDenied
    count, _deleted = throttles.delete()
    return count


def login_throttle_purge_expired() -> int:
    """Forgets the counters whose window and lockout have both ended (they would start over anyway)."""
    now = timezone.now()
    window_start = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    expired = LoginThrottle.objects.filter(window_started_at__lte=window_start).exclude(locked_until__gt=now)
    count, _deleted = expired.delete()
    return count
