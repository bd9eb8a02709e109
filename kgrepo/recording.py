"""Recording: experiments, runs and steps, written as they happen.

A run is written in a few atomic writes, each one pyoxigraph call: its start (the run, its trigger,
configuration, agent and environment), each step when the step ends (the execution with its
executable, inputs, outputs, settings and metrics), and its end (status and end time). A crash
therefore leaves a consistent run marked running (see :meth:`Repository.stale_runs`), never a torn
one; a step that was still open when the process died is not recorded.

An exception inside ``with run`` or ``with step`` marks it failed, records the error, and
propagates.
Bad input raises :class:`~kgrepo.errors.InvalidInput` at the call that received it and is never
written; raised inside a step, it fails that step like any other exception.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Quad

from kgrepo import _sortkeys, _terms, environment, queries, reuse
from kgrepo._describe import Triple, Triples
from kgrepo._vocab import KG, OWL, PROV, RDF, RDFS
from kgrepo.artifacts import METRICS, Artifact, ArtifactRef
from kgrepo.errors import InvalidInput, InvalidState, NotFound
from kgrepo.iris import Minter
from kgrepo.records import Agent, Executable, Status, Trigger, Workflow
from kgrepo.reuse import Reusable

if TYPE_CHECKING:
    from kgrepo.repository import Repository

_MAX_ERROR = 4000


class Experiment:
    """A set of runs toward one goal. Made by :meth:`Repository.experiment`."""

    def __init__(
        self,
        repository: Repository,
        iri: NamedNode,
        name: str,
        goal: str | None,
        creation: list[Quad] | None = None,
    ) -> None:
        self.repository = repository
        self.iri = iri
        self.name = name
        self.goal = goal
        #: The statements creating the experiment, written with its first run's first write
        #: (:meth:`Repository._experiment_deferred`); empty once the store has them.
        self._creation = creation or []

    def _created(self, creation: list[Quad]) -> None:
        """``creation`` is in the store: another process may have created the experiment too."""
        if creation:
            self._creation = []
            self.repository._settle_creation(self.iri)

    def run(
        self,
        *,
        trigger: Trigger | None = None,
        config: Mapping[str, Any] | None = None,
        workflow: Workflow | None = None,
        agent: str | Agent | None = None,
        name: str | None = None,
        annotations: Mapping[str, Any] | None = None,
        atomic: bool = False,
        origin: environment.Origin | None = None,
    ) -> Run:
        """A new run of this experiment; use it as a context manager (or call ``start``/``end``).

        ``trigger`` defaults to a manual trigger; ``agent`` (the person or program running it)
        defaults to the trigger's agent. ``config`` may nest mappings: ``{"opt": {"lr": 0.1}}`` is
        recorded as the setting ``opt.lr``. ``origin`` (default: this process's environment and
        working tree, captured at the start) is where the run executes, for a run recorded by
        another process than its own (an importer, a server).

        A run is written as it happens: its start, each step as it ends, its end; a crash leaves
        it marked running (:meth:`Repository.stale_runs`). An ``atomic`` run is checked the same
        way but written once, when it ends, in one transaction: until then nobody sees it, and a
        crash leaves nothing of it. Suits short runs and importing finished ones (it is what
        ``POST /api/v1/runs`` with a ``status`` does); a step of an atomic run asking
        :meth:`Step.find_reusable` sees earlier runs, not the steps of its own run.

        >>> import kgrepo
        >>> repo = kgrepo.Repository.in_memory()
        >>> with repo.experiment("digits").run(atomic=True) as run:
        ...     with run.step("fit") as step:
        ...         model = step.produce(kgrepo.Model("svc"))
        ...     repo.select("SELECT ?r WHERE { ?r a kg:Run }")
        []
        >>> repo.select("SELECT ?s WHERE { ?r a kg:Run ; kg:status ?s }")[0]["s"]
        'https://w3id.org/kgrepo#Succeeded'
        """
        return Run(
            self,
            trigger or Trigger.manual(),
            config,
            workflow,
            agent,
            name,
            annotations,
            atomic,
            origin,
        )

    def __repr__(self) -> str:
        return f"Experiment({self.name!r}, iri={self.iri.value!r})"


class Run:
    """One execution of a workflow within an experiment."""

    def __init__(
        self,
        experiment: Experiment,
        trigger: Trigger,
        config: Mapping[str, Any] | None,
        workflow: Workflow | None,
        agent: str | Agent | None,
        name: str | None,
        annotations: Mapping[str, Any] | None,
        atomic: bool = False,
        origin: environment.Origin | None = None,
    ) -> None:
        self.experiment = experiment
        self.repository = experiment.repository
        if not isinstance(trigger, Trigger):
            raise InvalidInput("Run", "trigger", trigger, "expected a kgrepo.Trigger")
        if workflow is not None and not isinstance(workflow, Workflow):
            raise InvalidInput("Run", "workflow", workflow, "expected a kgrepo.Workflow")
        if origin is not None and not isinstance(origin, environment.Origin):
            raise InvalidInput("Run", "origin", origin, "expected a kgrepo.environment.Origin")
        self.origin = origin
        if isinstance(agent, str):
            agent = Agent(agent)
        if agent is not None and not isinstance(agent, Agent):
            raise InvalidInput("Run", "agent", agent, "expected an agent name or a kgrepo.Agent")
        self.trigger = trigger
        self.agent = agent or trigger.by
        self.workflow = workflow
        self.name = _terms.name("Run", name) if name is not None else None
        self.config = _terms.flatten("Run", config or {}, what="config")
        self.annotations = dict(annotations or {})
        self.iri = self.repository._minter.run()
        self.status: Status | None = None
        self._start: Triples | None = None
        self._agent_iri: NamedNode | None = None
        self._steps = 0
        self._last_ended: Step | None = None
        self._produced: set[NamedNode] = set()
        #: Steps recorded before this handle existed, by IRI (filled by :meth:`_resume`).
        self._recorded: dict[str, Step] = {}
        self._lock = threading.Lock()
        #: An atomic run's writes, checked and waiting for its end (None: written as they come).
        self._staged: list[tuple[list[Quad], list[Triple]]] | None = [] if atomic else None
        #: The experiment's creation, written with this run's start (or its atomic commit).
        self._creation: list[Quad] = []

    @classmethod
    def _resume(cls, repository: Repository, iri: str | NamedNode) -> Run:
        """A handle on the running run ``iri``, rebuilt from the store, to record more steps of it
        and end it (a server worker continuing a run that another worker started).

        It holds what continuing needs: the experiment, the agent, the start statements (to
        validate the end against), the next step number, the last step (the default ``after``),
        the recorded steps (:attr:`_recorded`, for ``after=``) and the artifacts the run produced
        (so using one does not make it an input of the run). It does not reload the trigger,
        configuration or workflow: they were written at the start and are not needed again.
        Raises NotFound if there is no such run, InvalidState if it is not running.

        The step number is read, not reserved: two handles on one run (in two processes) adding
        steps at the same moment could pick the same number, so a run's steps must be added one
        at a time (as a client recording a run does).

        >>> import kgrepo
        >>> repo = kgrepo.Repository.in_memory()
        >>> run = repo.experiment("digits").run().start()
        >>> with run.step("fit"):
        ...     pass
        >>> again = kgrepo.Run._resume(repo, run.iri)
        >>> with again.step("score") as step:
        ...     step.iri.value.endswith("/execution/2"), step.after[0].iri == run._last_ended.iri
        (True, True)
        >>> again.end()
        >>> repo.select("SELECT ?r ?s WHERE { ?r kg:status ?s }", r=run.iri)[0]["s"]
        'https://w3id.org/kgrepo#Succeeded'

        """
        node = _terms.iri("Run", "iri", iri)
        start = repository._describer.triples()
        experiment: dict[str, Any] = {}
        steps = []
        agent_name = None
        for row in repository.query(queries.text("run-resume"), run=node):
            if row["step"] is not None:
                steps.append(row)
            elif row["experiment"] is not None:
                experiment = {
                    "iri": row["experiment"],
                    "name": row["experimentName"].value,
                    "goal": row["goal"].value if row["goal"] is not None else None,
                }
            elif row["s"] != node:
                agent_name = row["o"].value
            else:
                s, p, o = row["s"], row["p"], row["o"]
                start.items.append((s, p, o))
                if p == RDF.type:
                    start.types.setdefault(node, []).append(o)
        if not experiment or KG.Run not in start.types.get(node, []):
            raise NotFound(f"no run <{node.value}> in this repository")
        status = next(Status.from_iri(o) for s, p, o in start.items if p == KG.status)  # type: ignore[arg-type]
        if status is not Status.RUNNING:
            raise InvalidState(
                f"run <{node.value}> has ended ({status.value}); start a new run to record more"
            )
        exp = Experiment(repository, experiment["iri"], experiment["name"], experiment["goal"])
        run = cls(exp, Trigger.manual(), None, None, agent_name, None, None)
        run.iri = node
        run.status = Status.RUNNING
        run._start = start
        agents = [o for s, p, o in start.items if p == KG.associatedWith]
        run._agent_iri = agents[0] if agents and isinstance(agents[0], NamedNode) else None
        prefix = node.value + "/execution/"  # as Step numbers them (Minter.child)
        for row in steps:
            step_iri = row["step"].value
            if row["output"] is not None:
                run._produced.add(row["output"])
            if step_iri in run._recorded or not step_iri.startswith(prefix):
                continue
            number = int(step_iri.removeprefix(prefix))
            step = Step(run, number, row["name"].value, row["kind"].value, None, [], {})
            step.status = Status.from_iri(row["status"])
            run._recorded[step_iri] = step
            if number > run._steps:
                run._steps, run._last_ended = number, step
        return run

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Run:
        """Writes the run's start in one atomic write. Called by ``with``."""
        if self.status is not None:
            raise InvalidState(f"run <{self.iri.value}> has already started")
        repo = self.repository
        d = repo._describer
        t = d.triples()
        run = self.iri
        t.type(run, KG.Run)
        t.add(self.experiment.iri, KG.hasRun, run)
        t.add(run, KG.status, Status.RUNNING.iri)
        t.add(run, PROV.startedAtTime, _terms.timestamp())
        if self.name is not None:
            t.add(run, RDFS.label, Literal(self.name))
        event = Minter.child(run, "trigger")
        t.type(event, KG.Event)
        t.add(event, RDFS.label, Literal(f"{self.trigger.cause.value} trigger"))
        t.add(event, KG.cause, self.trigger.cause.iri)
        t.optional(event, KG.reason, Literal(self.trigger.reason) if self.trigger.reason else None)
        if self.trigger.concerns is not None:
            t.add(event, KG.concerns, NamedNode(self.trigger.concerns))
        t.add(run, KG.triggeredBy, event)
        if self.trigger.by is not None:
            t.add(event, KG.attributedTo, d.agent(t, self.trigger.by))
        if self.agent is not None:
            self._agent_iri = d.agent(t, self.agent)
            t.add(run, KG.associatedWith, self._agent_iri)
        if self.workflow is not None:
            t.add(run, KG.executes, d.workflow(t, self.workflow))
        d.settings(t, run, self.config, self.experiment.iri, "Run")
        d.annotations(t, run, self.annotations, "Run")
        origin = self.origin or environment.Origin.here()
        env = origin.environment
        if env is not None:
            t.add(run, KG.environment, repo._minter.environment(env.digest))
        # The recording process (a server, for a client's run): how runs left open are recovered.
        t.add(run, KG.host, Literal(environment.capture().host))
        t.add(run, KG.pid, Literal(environment.process_id()))
        code = origin.code
        if code is not None:
            t.add(run, KG.codeVersion, Literal(code.commit))
            t.add(run, KG.codeRepository, Literal(code.repository))
        self._creation = self.experiment._creation
        described = repo._environment_quads(env) if env is not None else []
        self._write(t, described + self._creation)
        if self._staged is None:
            self.experiment._created(self._creation)
        self._start = t
        self.status = Status.RUNNING
        return self

    def end(self, status: Status = Status.SUCCEEDED, error: BaseException | None = None) -> None:
        """Writes the run's end (status, end time, error) in one atomic write; ``with`` calls it."""
        with self._lock:
            self._check_running()
            if status is Status.RUNNING or not isinstance(status, Status):
                raise InvalidInput("Run", "status", status, "expected a final kgrepo.Status")
            t = self.repository._describer.triples()
            t.add(self.iri, KG.status, status.iri)
            t.add(self.iri, PROV.endedAtTime, _terms.timestamp())
            _error(t, self.iri, error)
            assert self._start is not None
            remove = [Quad(self.iri, KG.status, Status.RUNNING.iri, self.iri)]
            if self._staged is None:
                self.repository._replace(self.iri, remove, t, context=self._start)
            else:
                self.repository._validate_replacement(remove, t, self._start)
                self._commit_staged(remove, t)
            self.status = status

    def _write(self, t: Triples, extra: list[Quad] | None = None, validated: bool = False) -> None:
        """Writes ``t`` into the run's graph now, or stages it if the run is atomic."""
        if self._staged is None:
            self.repository._write(self.iri, t, extra, validated=validated)
        else:
            self._staged.append(self.repository._prepare(self.iri, t, extra, validated=validated))

    def _commit_staged(self, remove: list[Quad], end: Triples) -> None:
        """An atomic run's end: everything it staged, minus ``remove`` (the running status, staged
        with the start), plus ``end``, in one write. A shared statement staged by two steps is
        written twice, which adds it once."""
        assert self._staged is not None
        (start, _), *steps = self._staged
        quads = [q for q in start if q not in remove]
        quads += [q for staged, _ in steps for q in staged] + end.quads(self.iri)
        shared = [x for _, staged in self._staged for x in staged]
        self.repository._commit(quads, shared)
        self._staged = []
        self.experiment._created(self._creation)

    def __enter__(self) -> Run:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.status is Status.RUNNING:
            self.end(Status.FAILED if exc is not None else Status.SUCCEEDED, exc)

    # -- steps ------------------------------------------------------------------------------------
    def step(
        self,
        name: str,
        *,
        kind: str = "transform",
        executable: Executable | None = None,
        after: Sequence[Step] | None = None,
        annotations: Mapping[str, Any] | None = None,
    ) -> Step:
        """A step (an execution) of this run; use it as a context manager.

        ``after`` lists the steps it follows (default: the step that ended last, so a script that
        runs steps one after another records them in order; pass ``[]`` for a parallel branch).
        """
        self._check_running()
        if executable is not None and not isinstance(executable, Executable):
            raise InvalidInput(
                f"Step {name!r}", "executable", executable, "expected a kgrepo.Executable"
            )
        _terms.name("Step", name)
        _terms.text(f"Step {name!r}", "kind", kind)
        with self._lock:
            self._steps += 1
            number = self._steps
            previous = (
                [self._last_ended] if after is None and self._last_ended else list(after or ())
            )
        for step in previous:
            if not isinstance(step, Step) or step.run is not self:
                raise InvalidInput(
                    f"Step {name!r}", "after", step, "expected steps of the same run"
                )
        return Step(self, number, name, kind, executable, previous, annotations or {})

    def _check_running(self) -> None:
        if self.status is None:
            raise InvalidState(f"run <{self.iri.value}> has not started; use 'with exp.run(...)'")
        if self.status is not Status.RUNNING:
            raise InvalidState(
                f"run <{self.iri.value}> has ended ({self.status.value}); "
                "start a new run to record more"
            )

    def __repr__(self) -> str:
        return f"Run({self.iri.value!r}, status={self.status})"


class Step:
    """One step of a run: an execution of an executable, written in one atomic write at its end."""

    def __init__(
        self,
        run: Run,
        number: int,
        name: str,
        kind: str,
        executable: Executable | None,
        after: list[Step],
        annotations: Mapping[str, Any],
    ) -> None:
        self.entity = f"Step {name!r}"
        self.name = _terms.name("Step", name)
        _terms.text(self.entity, "kind", kind)
        self.run = run
        self.kind = kind
        self.executable = executable
        self.after = after
        self.iri = Minter.child(run.iri, "execution", str(number))
        self.status: Status | None = None
        self._repo = run.repository
        self._t = self._repo._describer.triples()
        self._executable_iri = (
            self._repo._minter.executable(executable.name, executable.version, executable.digest)
            if executable
            else None
        )
        self._params: dict[str, Any] = {}
        self._described: dict[NamedNode, Artifact] = {}
        self._inputs: dict[NamedNode, Artifact] = {}
        self._reused: str | None = None
        self._metrics = 0
        self._started = _terms.timestamp()
        self._describe_annotations(annotations)

    def __enter__(self) -> Step:
        self.run._check_running()
        if self.status is not None:
            raise InvalidState(f"{self.entity} has already been entered")
        self._started = _terms.timestamp()
        self.status = Status.RUNNING
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.status is Status.RUNNING:
            self._end(Status.FAILED if exc is not None else Status.SUCCEEDED, exc)

    # -- what happens in a step ------------------------------------------------------------------
    def use(self, artifact: Artifact | ArtifactRef) -> ArtifactRef:
        """Records that this step consumed ``artifact``; returns its reference."""
        self._check_open()
        ref = self._describe(artifact)
        self._t.input(self.iri, KG.used, ref.iri)
        self._inputs[ref.iri] = ref.artifact
        if ref.iri not in self.run._produced:
            self._t.input(self.run.iri, KG.consumed, ref.iri)
        return ref

    def produce(self, artifact: Artifact | ArtifactRef) -> ArtifactRef:
        """Records that this step produced ``artifact``; returns its reference for later steps."""
        self._check_open()
        ref = self._describe(artifact)
        self._t.add(ref.iri, KG.generatedBy, self.iri)
        self._t.add(ref.iri, KG.createdAt, _terms.timestamp())
        self._t.output(self.iri, ref.iri)
        with self.run._lock:
            self.run._produced.add(ref.iri)
        return ref

    def set_params(self, **params: Any) -> None:
        """Records hyperparameter settings (``set_params(C=1.0, kernel="rbf")``)."""
        self.set_param_dict(params)

    def set_param_dict(self, params: Mapping[str, Any]) -> None:
        """Like :meth:`set_params`, for names that are not Python identifiers (``"opt.lr"``)."""
        self._check_open()
        flat = _terms.flatten(self.entity, params)
        owner = self._executable_iri or Minter.child(self.run.experiment.iri, self.name)
        t = self._repo._describer.triples()
        for key in flat:
            if key in self._params:
                raise InvalidInput(
                    self.entity, f"parameter {key!r}", flat[key], "is already set in this step"
                )
        self._repo._describer.settings(t, self.iri, flat, owner, self.entity)
        self._check(t)
        self._params.update(flat)
        self._t.merge(t)

    def log_metric(
        self,
        name: str,
        value: float,
        *,
        of: ArtifactRef | None = None,
        scope: str | None = None,
    ) -> ArtifactRef:
        """Records a measured quality (a Metrics artifact) produced by this step.

        ``of`` is the artifact measured (e.g. the model); ``scope`` narrows it (e.g. a class).
        The value must be a finite number.
        """
        self._check_open()
        entity = f"Metric {name!r}"
        _terms.name("Metric", name)
        literal = _terms.number(entity, "value", value)
        if of is not None and not isinstance(of, ArtifactRef):
            raise InvalidInput(
                entity, "of", of, "expected the reference returned by use() or produce()"
            )
        d = self._repo._describer
        t = d.triples()
        with self.run._lock:
            self._metrics += 1
            iri = Minter.child(self.iri, "metric", str(self._metrics))
        metric = Artifact(name, kind=METRICS, scope=scope)
        d.artifact(t, metric, iri, shared=False)
        measure = self._repo._minter.measure(name)
        t.shared.type(measure, KG.EvaluationMeasure)
        t.shared.add(measure, RDFS.label, Literal(name))
        t.add(iri, KG.measure, measure)
        t.add(iri, KG.value, literal)
        if of is not None:
            t.add(iri, KG.evaluates, of.iri)
            if scope is None:  # a scoped metric (one class, one slice) does not rank the artifact
                for descending in (False, True):
                    sort_by = _sortkeys.predicate(measure, of.kind, descending=descending)
                    t.shared.add(sort_by, RDF.type, OWL.DatatypeProperty)
                    t.shared.add(sort_by, RDFS.subPropertyOf, KG.sortKey)
                    t.add(
                        of.iri,
                        sort_by,
                        Literal(_sortkeys.key(_terms.python_value(literal), descending=descending)),
                    )
        t.add(iri, KG.generatedBy, self.iri)
        t.add(iri, KG.createdAt, _terms.timestamp())
        t.output(self.iri, iri)
        self._check(t)
        self._t.merge(t)
        return ArtifactRef(iri, metric)

    def find_reusable(self) -> Reusable | None:
        """FR6: an earlier successful execution with this step's executable, the inputs used so
        far (by digest) and the parameters set so far; None if there is none (or if an input has
        no digest). Call it after ``use`` and ``set_params``, before doing the work."""
        self._check_open()
        key = reuse.signature(self.executable, self._inputs.values(), self._params)
        return None if key is None else reuse.lookup(self._repo, key)

    def reuse(self, earlier: Reusable) -> tuple[ArtifactRef, ...]:
        """Records that this step reused ``earlier``'s outputs instead of recomputing them, and
        returns them for the next steps. The outputs keep their original generation."""
        self._check_open()
        if not isinstance(earlier, Reusable):
            reason = "expected the result of find_reusable()"
            raise InvalidInput(self.entity, "earlier", earlier, reason)
        if self._reused is not None:
            raise InvalidState(f"{self.entity} has already reused <{self._reused}>")
        self._t.add(self.iri, KG.reusedFrom, NamedNode(earlier.execution))
        for ref in earlier.outputs:
            self._describe(ref)
            self._t.add(self.iri, KG.reusedOutput, ref.iri)
        self._reused = earlier.execution
        return earlier.outputs

    def annotate(self, **annotations: Any) -> None:
        """Adds free key/value annotations to this step."""
        self._check_open()
        self._describe_annotations(annotations)

    # -- internals ---------------------------------------------------------------------------------
    def _describe_annotations(self, annotations: Mapping[str, Any]) -> None:
        t = self._repo._describer.triples()
        self._repo._describer.annotations(t, self.iri, annotations, self.entity)
        self._check(t)
        self._t.merge(t)

    def _describe(self, artifact: Artifact | ArtifactRef) -> ArtifactRef:
        if isinstance(artifact, ArtifactRef):
            ref = artifact
        elif isinstance(artifact, Artifact):
            ref = ArtifactRef(self._repo._describer.artifact_iri(artifact), artifact)
        else:
            raise InvalidInput(self.entity, "artifact", artifact, "expected a kgrepo.Artifact")
        self._repo._known_kind(ref.artifact.kind)
        earlier = self._described.get(ref.iri)
        if earlier is not None:
            if earlier is ref.artifact or _same(earlier, ref.artifact):
                return ref
            raise InvalidInput(
                ref.artifact.entity,
                "digest",
                ref.artifact.digest,
                f"{earlier.entity} has the same kind and digest in this step "
                "but another description",
            )
        self._described[ref.iri] = ref.artifact
        t = self._repo._describer.triples()
        self._repo._describer.artifact(t, ref.artifact, ref.iri)
        self._check(t)
        self._t.merge(t)
        return ref

    def _check(self, t: Triples) -> None:
        self._repo._validate(t)
        self._repo._validate(t.shared)

    def _check_open(self) -> None:
        if self.status is None:
            raise InvalidState(f"{self.entity} has not started; use 'with run.step(...) as step'")
        if self.status is not Status.RUNNING:
            raise InvalidState(f"{self.entity} has ended ({self.status.value}); start a new step")
        self.run._check_running()

    def _end(self, status: Status, error: BaseException | None) -> None:
        run = self.run
        with run._lock:
            run._check_running()
            d = self._repo._describer
            t = d.triples()
            step = self.iri
            t.type(step, KG.Execution)
            t.add(run.iri, KG.hasExecution, step)
            t.add(step, RDFS.label, Literal(self.name))
            t.add(step, KG.stepKind, Literal(self.kind))
            t.add(step, KG.status, status.iri)
            t.add(step, PROV.startedAtTime, self._started)
            t.add(step, PROV.endedAtTime, _terms.timestamp())
            if self.executable is not None:
                t.add(step, KG.executes, d.executable(t, self.executable))
            if run._agent_iri is not None:
                t.add(step, KG.associatedWith, run._agent_iri)
            for previous in self.after:
                t.add(step, KG.follows, previous.iri)
            _error(t, step, error)
            key = reuse.signature(self.executable, self._inputs.values(), self._params)
            if key is not None:
                t.add(step, KG.signature, Literal(key))
            self._repo._validate(t)
            self._repo._validate(t.shared)
            # What use/produce/set_params/log_metric added was validated when they were called.
            t.merge(self._t)
            run._write(t, validated=True)
            self.status = status
            run._last_ended = self


def _error(t: Triples, subject: NamedNode, error: BaseException | None) -> None:
    if error is None:
        return
    t.add(subject, KG.errorType, Literal(type(error).__qualname__))
    message = str(error)[:_MAX_ERROR]
    if message:
        t.add(subject, KG.errorMessage, Literal(message))


def _same(a: Artifact, b: Artifact) -> bool:
    fields = (
        "name",
        "kind",
        "uri",
        "digest",
        "version",
        "description",
        "attributes",
        "annotations",
    )
    return all(getattr(a, f) == getattr(b, f) for f in fields) and getattr(
        a, "characteristics", None
    ) == getattr(b, "characteristics", None)
