"""Free text kept encrypted under its case's key, read and written like any text field.

``SealedTextField`` stores a ``cw3`` token (casework.identity.crypto.seal), bound to the
case, the record, the field and the record's version, so a token copied to another row,
field or case, or an older token put back, fails loudly instead of reading as something
real. Code reads and assigns plain ``str`` as before: a value is decrypted when first read
(with the context of the row as it was loaded) and encrypted when its row is saved.

What it cannot do: a lookup on the text (``summary__icontains``) has nothing to compare with
and is refused (only ``= ""`` and ``isnull`` are left); ``values()`` gives sealed tokens,
not text; ``QuerySet.update()`` and ``bulk_update()`` cannot write them (clear text never
reaches the database, not even as a query's parameter).
"""

from functools import cache
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from casework.identity import crypto

# What a clear value stands as in a query (never a token: no stored value equals it).
NOT_EMPTY = "cw3:not-empty"


class Sealed:
    """A token as read from the database, not yet opened."""

    __slots__ = ("context", "token")

    def __init__(self, token: str) -> None:
        self.token, self.context = token, ""

    def __str__(self) -> str:
        raise TypeError("A sealed value must be read through its model instance, not from values().")

    def __repr__(self) -> str:
        return "<sealed>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    __hash__ = None  # type: ignore[assignment]


class SealedAttribute:
    """The field's descriptor: opens a sealed value on first read, keeps what is assigned."""

    def __init__(self, field: "SealedTextField") -> None:
        self.field = field

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:  # deferred
            instance.refresh_from_db(fields=[name])
        value = instance.__dict__[name]
        if isinstance(value, Sealed):
            value = instance.__dict__[name] = crypto.unseal(
                instance.sealing_key(create=False), value.token, value.context or instance.seal_context(name)
            )
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SealedExact(Exact):
    """``field = ""`` only: whether a value is there, never what it is."""

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, str) and self.rhs and not crypto.is_sealed(self.rhs):
            raise FieldError("An encrypted field cannot be searched for a value, only for being empty.")
        return super().get_prep_lookup()


class SealedTextField(models.TextField):
    """Free text of a case, encrypted under the case's key. ``single_line``: a one-line
    input in forms (for what was a CharField)."""

    descriptor_class = SealedAttribute

    def __init__(self, *args: Any, single_line: bool = False, **kwargs: Any) -> None:
        self.single_line = single_line
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # The column holds a token, longer than the text and unlimited: the text's length
            # is checked here (full_clean, in every service), not by the database.
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.single_line:
            kwargs["single_line"] = True
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return Sealed(value) if value else ""

    def to_python(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: Any, add: bool) -> str:
        value = getattr(model_instance, self.attname)  # opened if it was still sealed
        if not value:
            return ""
        return crypto.seal(model_instance.sealing_key(create=True), value, model_instance.seal_context(self.attname))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value.token
        if value and not crypto.is_sealed(str(value)):
            # Clear text never goes to the database, not even as a query's parameter (a
            # constraint checked in Python compares it with ""): it stands as "not empty".
            return NOT_EMPTY
        return value

    def value_to_string(self, obj: Any) -> str:
        """What a serializer (dumpdata) writes: the token, never the text, so that a dump is
        a backup like any other: nothing in it opens without the key store. (loaddata saves
        raw, so the token goes back as it came.)"""
        value = obj.__dict__.get(self.attname, "")
        if isinstance(value, Sealed):
            return value.token
        return self.pre_save(obj, add=False) if value else ""

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if isinstance(value, str) and value and not crypto.is_sealed(value):
            raise ValueError(
                f"{self.model._meta.label}.{self.name} is encrypted: it is written only by saving its instance "
                "(not by QuerySet.update() or bulk_update())."
            )
        return super().get_db_prep_save(value, connection)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return SealedExact
        if lookup_name != "isnull":
            raise FieldError(f"{self.model._meta.label}.{self.name} is encrypted: it cannot be searched.")
        return super().get_lookup(lookup_name)

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> Any:
        if self.single_line:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(form_class=form_class, choices_form_class=choices_form_class, **kwargs)


@cache
def sealed_fields(model: Any) -> list[SealedTextField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, SealedTextField)]


class SealedModel(models.Model):
    """A model with SealedTextFields. Says where its key is (``sealing_key``) and what each
    value is bound to (``seal_context``); stamps each value with the context of the row as
    it was loaded, so that a version changed in memory before the value is first read
    still opens it; and re-seals every loaded value whenever the version is saved."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        names = [field.attname for field in sealed_fields(type(self))]
        if update_fields is not None and "version" in update_fields:
            # Values are bound to the version: every one is sealed again with it.
            kwargs["update_fields"] = list(dict.fromkeys([*update_fields, *names]))
        if not self._state.adding and (update_fields is None or "version" in update_fields):
            for name in names:
                if name not in self.__dict__:
                    getattr(self, name)  # a deferred value is loaded, to be sealed again with the row
        super().save(*args, **kwargs)

    def sealing_key(self, *, create: bool) -> bytes:
        raise NotImplementedError

    def seal_context(self, name: str) -> str:
        raise NotImplementedError

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        for field in sealed_fields(cls):
            value = instance.__dict__.get(field.attname)
            if isinstance(value, Sealed):
                value.context = instance.seal_context(field.attname)
        return instance
