import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import field_error
from .models import ApiToken, Team, User

LAST_USED_PRECISION = timedelta(minutes=1)


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
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    _check_role_team(user)
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
