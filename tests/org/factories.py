import factory
from factory.django import DjangoModelFactory, Password

from org.models import SizeBand, Team, User


class TeamFactory(DjangoModelFactory):
    """An SDR team by default; the traits give every other kind with the fields its kind allows."""

    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.SDR

    class Params:
        bdr = factory.Trait(kind=Team.Kind.BDR)
        recycle = factory.Trait(kind=Team.Kind.RECYCLE)
        fs = factory.Trait(kind=Team.Kind.FS_SEGMENT, segment=SizeBand.S)
        cs = factory.Trait(kind=Team.Kind.CS)
        marketing = factory.Trait(kind=Team.Kind.MARKETING)


class UserFactory(DjangoModelFactory):
    """An IS rep in a team of their own by default; each role trait puts the user in a team that fits.

    ``manages=[team, ...]`` makes the user those teams' manager.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = Password("kakehashi-test-pass")
    role = User.Role.IS
    team = factory.SubFactory(TeamFactory)

    class Params:
        fs = factory.Trait(role=User.Role.FS, team=factory.SubFactory(TeamFactory, fs=True))
        cs = factory.Trait(role=User.Role.CS, team=factory.SubFactory(TeamFactory, cs=True))
        marketing = factory.Trait(role=User.Role.MARKETING, team=factory.SubFactory(TeamFactory, marketing=True))
        manager = factory.Trait(role=User.Role.MANAGER, team=None)
        admin = factory.Trait(role=User.Role.ADMIN, team=None, is_staff=True)

    @factory.post_generation
    def manages(obj, create, extracted, **kwargs):
        for team in extracted or ():
            team.manager = obj
            team.save(update_fields=["manager"])
